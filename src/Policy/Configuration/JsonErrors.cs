using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace SshHsmCa.Policy.Configuration;

/// <summary>A JSON error as an operator reads it: what, then where, lines and columns counted from 1; an unknown member by its path, with the members that exist there.</summary>
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

    /// <summary>
    /// The first member of <paramref name="node"/> that <paramref name="type"/> (bound with
    /// <paramref name="options"/>) has no place for, as its JSON path and a sentence naming the
    /// members that exist there; null when there is none. Found from the serializer's own contract,
    /// never from its message, which names .NET types an operator has never seen (issue 26).
    /// </summary>
    public static (string Path, string Problem)? UnknownMember(JsonNode? node, Type type, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return Walk(node, options.GetTypeInfo(type), "$", options, depth: 0);
    }

    private static (string Path, string Problem)? Walk(JsonNode? node, JsonTypeInfo info, string path, JsonSerializerOptions options, int depth)
    {
        if (node is null || depth > 32)
        {
            return null;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
                    if (property is null)
                    {
                        var members = info.Properties.Select(p => p.Name).Order(StringComparer.Ordinal);
                        return ($"{path}.{name}", $"unknown member '{name}' at {path}; the members there are: {string.Join(", ", members)}");
                    }

                    if (Walk(value, options.GetTypeInfo(property.PropertyType), $"{path}.{name}", options, depth + 1) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonTypeInfoKind.Enumerable when node is JsonArray array && info.ElementType is { } element:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Walk(array[i], options.GetTypeInfo(element), $"{path}[{i}]", options, depth + 1) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonTypeInfoKind.Dictionary when node is JsonObject map && info.ElementType is { } value:
                foreach (var (name, item) in map)
                {
                    if (Walk(item, options.GetTypeInfo(value), $"{path}.{name}", options, depth + 1) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
