using System.Text.Json;

namespace SshHsmCa.Policy.Configuration;

/// <summary>A JSON syntax error as an operator reads it: what, then where, lines and columns counted from 1.</summary>
public static class JsonErrors
{
    /// <summary>"'x' is invalid after a value (line 3, column 7)" (System.Text.Json counts from 0 and appends its own location).</summary>
    public static string Describe(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var message = e.Message;
        foreach (var marker in new[] { " Path: ", " LineNumber: " })
        {
            var location = message.IndexOf(marker, StringComparison.Ordinal);
            if (location > 0)
            {
                message = message[..location].TrimEnd();
            }
        }

        return e.LineNumber is { } line
            ? $"{message} (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})"
            : message;
    }
}
