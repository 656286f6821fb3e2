using System.Data.Common;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>AddWithValue for any ADO.NET provider (SQLite's and Npgsql's collections alike).</summary>
internal static class DbParameters
{
    /// <summary>Adds a parameter named <paramref name="name"/> (with its <c>@</c>) holding <paramref name="value"/>.</summary>
    public static DbParameter AddWithValue(this DbParameterCollection parameters, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var command = parameters is Microsoft.Data.Sqlite.SqliteParameterCollection
            ? (DbParameter)new Microsoft.Data.Sqlite.SqliteParameter()
            : new Npgsql.NpgsqlParameter();
        command.ParameterName = name;
        command.Value = value ?? DBNull.Value;
        parameters.Add(command);
        return command;
    }
}
