using System.Data.Common;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A named parameter on any ADO.NET command, made by the command's own provider (<see cref="DbCommand.CreateParameter"/>).</summary>
internal static class DbParameters
{
    /// <summary>Adds a parameter named <paramref name="name"/> (with its <c>@</c>) holding <paramref name="value"/> (null: SQL NULL).</summary>
    public static DbParameter AddParameter(this DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
