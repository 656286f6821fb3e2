using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Reads <c>config.json</c> and then every <c>conf.d/*.json</c> beside it in name order; each
/// file's objects are merged into the result (members replace members, arrays and values are
/// replaced whole). Unknown members are refused with their JSON path and file.
/// </summary>
internal static class ConfigurationLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    // A key given twice in one object is refused (it crashed the loader: found by fuzzing, issue 13).
    private static readonly JsonDocumentOptions Document = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>The <c>conf.d/*.json</c> files beside <paramref name="path"/>, in the order they are merged (bytewise by name).</summary>
    public static IReadOnlyList<string> ConfDFiles(string path)
    {
        var confD = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "conf.d");
        return Directory.Exists(confD) ? [.. Directory.GetFiles(confD, "*.json").Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>The merged options, or the problems (each naming its file and path).</summary>
    public static (DaemonOptions? Options, IReadOnlyList<string> Errors) Load(string path)
    {
        List<string> files = [path, .. ConfDFiles(path)];

        JsonObject merged = [];
        foreach (var file in files)
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file), documentOptions: Document) is not JsonObject node)
                {
                    return (null, [$"{file}: $: the configuration must be a JSON object"]);
                }

                Merge(merged, node);
            }
            catch (JsonException e)
            {
                return (null, [$"{file}: {e.Path ?? "$"}: {Policy.Configuration.JsonErrors.Describe(e)}"]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, [$"{file}: {e.Message}"]);
            }
        }

        Fold(merged, "userCa", "userCaKeys");
        Fold(merged, "hostCa", "hostCaKeys");
        try
        {
            var options = merged.Deserialize<DaemonOptions>(Json) ?? new DaemonOptions();
            options.SourcePath = path;
            var errors = DaemonOptionsValidator.Validate(options);
            return (options, errors);
        }
        catch (JsonException e)
        {
            var where = string.Join(" + ", files);
            return Policy.Configuration.JsonErrors.UnknownMember(merged, typeof(DaemonOptions), Json) is { } unknown
                ? (null, [$"{where}: {unknown.Path}: {unknown.Problem}"])
                : (null, [$"{where}: {e.Path ?? "$"}: {Policy.Configuration.JsonErrors.Describe(e)}"]);
        }
    }

    /// <summary>
    /// The single-key form (<c>userCa</c>) becomes the key named "userCa" of the named form, under
    /// what a later file says of that name (a state written by <c>ca rotate</c>).
    /// </summary>
    private static void Fold(JsonObject merged, string single, string named)
    {
        if (merged[single] is not JsonObject key || merged[named] is not JsonObject keys)
        {
            return;
        }

        var combined = (JsonObject)key.DeepClone();
        if (keys[single] is JsonObject over)
        {
            Merge(combined, over);
        }

        keys[single] = combined;
        merged.Remove(single);
    }

    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (name, value) in source.ToList())
        {
            if (value is JsonObject child && target[name] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[name] = value?.DeepClone();
            }
        }
    }
}
