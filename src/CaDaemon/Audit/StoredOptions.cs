using System.Text.Json;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// How a certificate's critical options and extensions are kept in the <c>critical_options</c> and
/// <c>extensions</c> columns: a JSON array of objects in the certificate's order, one per option,
/// <c>{"name":"force-command","value":"/usr/bin/id"}</c> for a string value, <c>{"name":"permit-pty"}</c>
/// for a flag, and <c>{"name":"x@example.com","data":"&lt;base64&gt;"}</c> for data of any other
/// shape, so every option reads back exactly as it was signed. Rows written before 0.3.0 hold
/// <c>"name"</c> or <c>"name value"</c> strings; they read back as flags and string values, which is
/// what they were (custom options with other data were never issued).
/// </summary>
internal static class StoredOptions
{
    public static string Encode(SshOptionSet options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var option in options)
            {
                json.WriteStartObject();
                json.WriteString("name", option.Name);
                if (option.GetStringValue() is { } value)
                {
                    json.WriteString("value", value);
                }
                else if (!option.IsFlag)
                {
                    json.WriteBase64String("data", option.Data.Span);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a column back; a value that is neither form throws <see cref="FormatException"/> naming the column.</summary>
    public static SshOptionSet Decode(string stored, SshOptionKind kind, string column)
    {
        ArgumentNullException.ThrowIfNull(stored);
        try
        {
            using var document = JsonDocument.Parse(stored);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{column}: not a JSON array");
            }

            var options = new List<SshOption>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                options.Add(element.ValueKind switch
                {
                    JsonValueKind.String => Legacy(element.GetString()!),
                    JsonValueKind.Object => Option(element, column),
                    _ => throw new FormatException($"{column}: an entry is neither an object nor a string"),
                });
            }

            return SshOptionSet.Create(kind, options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"{column}: {e.Message}", e);
        }
    }

    private static SshOption Option(JsonElement element, string column)
    {
        var name = element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw new FormatException($"{column}: an entry has no name");
        if (element.TryGetProperty("value", out var value))
        {
            return SshOption.WithValue(name, value.GetString() ?? throw new FormatException($"{column}: '{name}' has a value that is not a string"));
        }

        return element.TryGetProperty("data", out var data) ? SshOption.WithData(name, data.GetBytesFromBase64()) : SshOption.Flag(name);
    }

    private static SshOption Legacy(string entry)
    {
        var space = entry.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? SshOption.Flag(entry) : SshOption.WithValue(entry[..space], entry[(space + 1)..]);
    }
}
