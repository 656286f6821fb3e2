using System.Text.Json;
using System.Text.Json.Serialization;
using SshHsmCa.Policy.Rules;

namespace SshHsmCa.Policy.Configuration;

/// <summary>
/// Reads and checks a policy. Every problem is collected with its JSON path; if there is any,
/// the whole policy is refused (never half used).
/// </summary>
internal sealed partial class PolicyLoader
{
    public const string DefaultKeyIdFormat = "{caller} ({method}) {type} [{principals}] req:{requestId}";
    private static readonly string[] KeyIdPlaceholders = ["caller", "method", "type", "principals", "requestId", "roles"];
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        MaxDepth = 16,

        // A rule given twice would silently keep the last one: refused like an unknown member.
        AllowDuplicateProperties = false,
    };

    private readonly List<PolicyLoadError> _errors = [];

    public static (string KeyIdFormat, CompiledRole[] Roles) Load(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > 4 * 1024 * 1024)
        {
            throw new PolicyLoadException([new PolicyLoadError("$", "the policy is larger than 4 MiB")]);
        }

        PolicyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<PolicyDocument>(json, Json);
        }
        catch (JsonException e)
        {
            var unknown = JsonErrors.UnknownMember(ParseOrNull(json), typeof(PolicyDocument), Json);
            throw new PolicyLoadException([unknown is { } u ? new PolicyLoadError(u.Path, u.Problem) : new PolicyLoadError(e.Path ?? "$", JsonErrors.Describe(e))]);
        }

        var loader = new PolicyLoader();
        var result = loader.Compile(document);
        return loader._errors.Count > 0 ? throw new PolicyLoadException(loader._errors) : result;
    }

    private static System.Text.Json.Nodes.JsonNode? ParseOrNull(string json)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16, AllowDuplicateProperties = false });
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return null;
        }
    }

    private (string, CompiledRole[]) Compile(PolicyDocument? document)
    {
        if (document is null)
        {
            Error("$", "the policy is empty");
            return (DefaultKeyIdFormat, []);
        }

        var format = document.KeyIdFormat ?? DefaultKeyIdFormat;
        CheckKeyIdFormat(format);
        if (document.Roles is null || document.Roles.Count == 0)
        {
            Error("$.roles", "at least one role is needed");
            return (format, []);
        }

        var roles = new List<CompiledRole>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Roles.Count; i++)
        {
            var path = $"$.roles[{i}]";
            var role = document.Roles[i];
            if (role is null)
            {
                Error(path, "a role cannot be null");
                continue;
            }

            if (string.IsNullOrWhiteSpace(role.Name) || !role.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                Error($"{path}.name", "a name of letters, digits, '-', '_' or '.' is required");
            }
            else if (!names.Add(role.Name))
            {
                Error($"{path}.name", $"role '{role.Name}' is defined twice");
            }

            var groupsClaim = role.Match?.FirstOrDefault(m => m?.Oidc?.GroupsClaim is not null)?.Oidc?.GroupsClaim ?? "groups";
            var matchers = CompileMatchers(role.Match, $"{path}.match");
            if (role.User is null && role.Host is null && role.Operator is null)
            {
                Error(path, "the role grants nothing: give it a user, a host or an operator section");
            }

            var permissions = CompileOperator(role.Operator, role.Match, $"{path}.operator");

            roles.Add(new CompiledRole
            {
                Name = role.Name ?? string.Empty,
                Matchers = matchers,
                User = role.User is null ? null : CompileUser(role.User, $"{path}.user", groupsClaim),
                Host = role.Host is null ? null : CompileHost(role.Host, $"{path}.host"),
                Operator = permissions,
            });
        }

        return (format, [.. roles]);
    }

    private void CheckKeyIdFormat(string format, string path = "$.keyIdFormat")
    {
        if (format.Length is 0 or > 256 || format.Any(char.IsControl))
        {
            Error(path, "must be 1..256 printable characters");
        }

        var rest = format;
        while (rest.IndexOf('{', StringComparison.Ordinal) is var open and >= 0)
        {
            var close = rest.IndexOf('}', open);
            if (close < 0)
            {
                Error(path, "unbalanced '{'");
                return;
            }

            var name = rest[(open + 1)..close];
            if (!KeyIdPlaceholders.Contains(name, StringComparer.Ordinal))
            {
                Error(path, $"unknown placeholder {{{name}}}; known: {string.Join(", ", KeyIdPlaceholders.Select(p => "{" + p + "}"))}");
            }

            rest = rest[(close + 1)..];
        }
    }

    private Matcher[] CompileMatchers(List<MatchDocument>? match, string path)
    {
        if (match is null || match.Count == 0)
        {
            Error(path, "a role needs at least one match alternative (an empty match would match nobody)");
            return [];
        }

        var matchers = new List<Matcher>();
        for (var i = 0; i < match.Count; i++)
        {
            var m = match[i];
            var at = $"{path}[{i}]";
            var kinds = m is null ? 0 : (m.Oidc is null ? 0 : 1) + (m.Mtls is null ? 0 : 1) + (m.Unix is null ? 0 : 1) + (m.Bootstrap is null ? 0 : 1) + (m.HostRenewal is null ? 0 : 1);
            if (m is null || kinds != 1)
            {
                Error(at, "exactly one of oidc, mtls, unix, bootstrap, hostRenewal is needed");
                continue;
            }

            if (m.Oidc is { } oidc)
            {
                if (string.IsNullOrEmpty(oidc.Issuer))
                {
                    Error($"{at}.oidc.issuer", "the issuer is required");
                }

                CheckList(oidc.EmailDomains, $"{at}.oidc.emailDomains");
                CheckList(oidc.Groups, $"{at}.oidc.groups");
                var claims = new List<(string, string[])>();
                foreach (var (claim, values) in oidc.Claims ?? [])
                {
                    CheckList(values, $"{at}.oidc.claims.{claim}");
                    claims.Add((claim, [.. values ?? []]));
                }

                matchers.Add(new Matcher.Oidc(oidc.Issuer ?? string.Empty, oidc.EmailDomains?.ToArray(), oidc.Groups?.ToArray(), oidc.GroupsClaim ?? "groups", [.. claims]));
            }
            else if (m.Mtls is { } mtls)
            {
                CheckList(mtls.Subjects, $"{at}.mtls.subjects");
                CheckList(mtls.Sans, $"{at}.mtls.sans");
                if (mtls.Subjects is null && mtls.Sans is null)
                {
                    Error($"{at}.mtls", "give subjects or sans: matching every client certificate is not a role");
                }

                matchers.Add(new Matcher.Mtls(mtls.Subjects?.ToArray(), mtls.Sans?.ToArray()));
            }
            else if (m.Unix is { } unix)
            {
                if (unix.Uids is null && unix.Gids is null && unix.Users is null && unix.Groups is null)
                {
                    Error($"{at}.unix", "give uids, gids, users or groups");
                }

                CheckList(unix.Users, $"{at}.unix.users");
                CheckList(unix.Groups, $"{at}.unix.groups");
                matchers.Add(new Matcher.Unix(unix.Uids?.ToArray(), unix.Gids?.ToArray(), unix.Users?.ToArray(), unix.Groups?.ToArray()));
            }
            else if (m.Bootstrap is { } bootstrap)
            {
                if (!bootstrap)
                {
                    Error($"{at}.bootstrap", "false matches nobody; remove the alternative");
                }

                matchers.Add(new Matcher.Method(AuthMethod.BootstrapToken));
            }
            else if (m.HostRenewal is { } renewal)
            {
                if (!renewal)
                {
                    Error($"{at}.hostRenewal", "false matches nobody; remove the alternative");
                }

                matchers.Add(new Matcher.Method(AuthMethod.HostCertificate));
            }
        }

        return [.. matchers];
    }

    private HashSet<OperatorRight> CompileOperator(List<string>? names, List<MatchDocument>? match, string path)
    {
        var permissions = new HashSet<OperatorRight>();
        if (names is null)
        {
            return permissions;
        }

        if (names.Count == 0)
        {
            Error(path, "an empty list grants nothing; remove it or name permissions");
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (OperatorRights.Parse(names[i]) is { } permission)
            {
                if (!permissions.Add(permission))
                {
                    Error($"{path}[{i}]", $"'{names[i]}' is listed twice");
                }
            }
            else
            {
                Error($"{path}[{i}]", $"unknown permission '{names[i]}'; known: {string.Join(", ", OperatorRights.Names.Select(n => n.Name))}");
            }
        }

        // A one-time host token or a host's own certificate proves a host, not a person: such a
        // credential must never be able to mint tokens, read the audit log or revoke.
        if (match?.Any(m => m?.Bootstrap is not null || m?.HostRenewal is not null) == true)
        {
            Error(path, "operator permissions cannot be granted to bootstrap or hostRenewal callers; put them in a role of their own");
        }

        return permissions;
    }

    private void CheckList(List<string>? values, string path, bool emptyAllowed = false)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count == 0 && !emptyAllowed)
        {
            Error(path, "an empty list matches nothing; remove it or list values");
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrEmpty(values[i]))
            {
                Error($"{path}[{i}]", "empty value");
            }
        }
    }

    private void Error(string path, string problem) => _errors.Add(new PolicyLoadError(path, problem));
}
