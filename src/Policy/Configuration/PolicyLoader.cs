using System.Text.Json;
using System.Text.Json.Serialization;
using SshHsmCa.Policy.Rules;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy.Configuration;

/// <summary>
/// Reads and checks a policy. Every problem is collected with its JSON path; if there is any,
/// the whole policy is refused (never half used).
/// </summary>
internal sealed class PolicyLoader
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
            throw new PolicyLoadException([new PolicyLoadError(e.Path ?? "$", e.Message)]);
        }

        var loader = new PolicyLoader();
        var result = loader.Compile(document);
        return loader._errors.Count > 0 ? throw new PolicyLoadException(loader._errors) : result;
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
            if (role.User is null && role.Host is null)
            {
                Error(path, "the role grants nothing: give it a user or a host section");
            }

            roles.Add(new CompiledRole
            {
                Name = role.Name ?? string.Empty,
                Matchers = matchers,
                User = role.User is null ? null : CompileUser(role.User, $"{path}.user", groupsClaim),
                Host = role.Host is null ? null : CompileHost(role.Host, $"{path}.host"),
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

    private UserGrantRule CompileUser(UserDocument user, string path, string groupsClaim)
    {
        var principals = new List<PrincipalTemplate>();
        if (user.Principals is null)
        {
            Error($"{path}.principals", "required (an empty list grants no principal, so no user certificate)");
        }

        for (var i = 0; i < (user.Principals?.Count ?? 0); i++)
        {
            var text = user.Principals![i];
            if (PrincipalTemplate.Check(text ?? string.Empty) is { } problem)
            {
                Error($"{path}.principals[{i}]", problem);
            }
            else
            {
                principals.Add(PrincipalTemplate.Create(text!, groupsClaim));
            }
        }

        var validity = CompileValidity(user.Validity, $"{path}.validity", TimeSpan.FromHours(8), TimeSpan.FromHours(12));

        ForceCommandRule? forceCommand = null;
        if (user.ForceCommand is { } fc)
        {
            // An empty list is meaningful here: no command may be asked for (only the forced one).
            CheckList(fc.Allowed, $"{path}.forceCommand.allowed", emptyAllowed: true);
            if (fc.Forced is { Length: 0 } || fc.Forced?.Contains('\0', StringComparison.Ordinal) == true)
            {
                Error($"{path}.forceCommand.forced", "must be a non-empty command");
            }

            var allowed = new HashSet<string>(fc.Allowed ?? [], StringComparer.Ordinal);
            if (fc.Forced is not null)
            {
                allowed.Add(fc.Forced);
            }

            forceCommand = new ForceCommandRule(allowed, fc.Forced);
        }

        SourceAddressRule? sourceAddress = null;
        if (user.SourceAddress is { } sa)
        {
            var networks = new List<SshCidr>();
            for (var i = 0; i < (sa.Allowed?.Count ?? 0); i++)
            {
                try
                {
                    networks.Add(SshCidr.Parse(sa.Allowed![i]));
                }
                catch (SshFormatException e)
                {
                    Error($"{path}.sourceAddress.allowed[{i}]", e.Problem);
                }
            }

            SourceAddressList? fallback = null;
            if (sa.Default is not null)
            {
                try
                {
                    fallback = SourceAddressList.Parse(sa.Default);
                    if (fallback.Entries.Any(e => !networks.Any(n => n.Contains(e))))
                    {
                        Error($"{path}.sourceAddress.default", "every entry must lie inside an allowed network");
                    }
                }
                catch (SshFormatException e)
                {
                    Error($"{path}.sourceAddress.default", e.Problem);
                }
            }

            sourceAddress = new SourceAddressRule([.. networks], fallback);
        }

        var custom = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in user.CustomCriticalOptions ?? [])
        {
            if (!name.Contains('@', StringComparison.Ordinal) || SshCriticalOptions.IsStandard(name) || name.Any(c => c <= ' ' || c >= '\x7f'))
            {
                Error($"{path}.customCriticalOptions.{name}", "custom critical option names are name@domain (standard ones have their own settings)");
            }

            custom[name] = new HashSet<string>(values ?? [], StringComparer.Ordinal);
        }

        var extensionsAllowed = new HashSet<string>(user.Extensions?.Allowed ?? [.. SshExtensions.DefaultUser.Select(e => e.Name)], StringComparer.Ordinal);
        var extensionsDefault = new HashSet<string>(user.Extensions?.Default ?? (user.Extensions?.Allowed is null ? [.. SshExtensions.DefaultUser.Select(e => e.Name)] : []), StringComparer.Ordinal);
        foreach (var name in extensionsAllowed)
        {
            if (!SshExtensions.IsStandard(name) && !name.Contains('@', StringComparison.Ordinal))
            {
                Error($"{path}.extensions.allowed", $"'{name}' is neither a standard extension nor name@domain");
            }
        }

        foreach (var name in extensionsDefault.Where(n => !extensionsAllowed.Contains(n)))
        {
            Error($"{path}.extensions.default", $"'{name}' is a default but not allowed");
        }

        return new UserGrantRule
        {
            Principals = [.. principals],
            Validity = validity,
            ForceCommand = forceCommand,
            SourceAddress = sourceAddress,
            VerifyRequiredForSecurityKeys = user.VerifyRequiredForSecurityKeys,
            CustomCriticalOptions = custom,
            ExtensionsAllowed = extensionsAllowed,
            ExtensionsDefault = extensionsDefault,
            Keys = CompileKeys(user.Keys, $"{path}.keys"),
        };
    }

    private HostGrantRule CompileHost(HostDocument host, string path)
    {
        var names = new List<string>();
        if (host.Names is null || host.Names.Count == 0)
        {
            Error($"{path}.names", "at least one host name or *.suffix pattern is needed");
        }

        for (var i = 0; i < (host.Names?.Count ?? 0); i++)
        {
            var name = host.Names![i] ?? string.Empty;
            var bare = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
            if (!HostGrantRule.IsHostName(bare) || !bare.Contains('.', StringComparison.Ordinal) && name.StartsWith('*'))
            {
                Error($"{path}.names[{i}]", $"'{name}' is not a lower-case host name or a *.suffix pattern with at least two labels");
            }

            names.Add(name);
        }

        var networks = new List<SshCidr>();
        for (var i = 0; i < (host.IpAddresses?.Count ?? 0); i++)
        {
            try
            {
                networks.Add(SshCidr.Parse(host.IpAddresses![i]));
            }
            catch (SshFormatException e)
            {
                Error($"{path}.ipAddresses[{i}]", e.Problem);
            }
        }

        if (host.KeyIdFormat is not null)
        {
            CheckKeyIdFormat(host.KeyIdFormat, $"{path}.keyIdFormat");
        }

        return new HostGrantRule
        {
            KeyIdFormat = host.KeyIdFormat,
            Names = [.. names],
            AllowWildcardPrincipals = host.AllowWildcardPrincipals,
            IpAddresses = [.. networks],
            Validity = CompileValidity(host.Validity, $"{path}.validity", TimeSpan.FromDays(30), TimeSpan.FromDays(90)),
            Keys = CompileKeys(host.Keys, $"{path}.keys"),
        };
    }

    private ValidityRule CompileValidity(ValidityDocument? validity, string path, TimeSpan defaultDefault, TimeSpan defaultMax)
    {
        var max = Parse(validity?.Max, $"{path}.max", defaultMax);
        var fallback = Parse(validity?.Default, $"{path}.default", defaultDefault < max ? defaultDefault : max);
        var min = Parse(validity?.Min, $"{path}.min", TimeSpan.FromMinutes(1) < fallback ? TimeSpan.FromMinutes(1) : fallback);
        var backdate = validity?.Backdate is null ? TimeSpan.Zero : Parse(validity.Backdate, $"{path}.backdate", TimeSpan.Zero);
        if (fallback > max)
        {
            Error($"{path}.default", $"{Duration.Format(fallback)} exceeds max {Duration.Format(max)}");
        }

        if (min > fallback)
        {
            Error($"{path}.min", $"{Duration.Format(min)} exceeds the default {Duration.Format(fallback)}");
        }

        if (backdate > TimeSpan.FromHours(1))
        {
            Error($"{path}.backdate", "at most 1h: a backdate is for clock skew");
        }

        return new ValidityRule(fallback, max, min, backdate, validity?.CapAtCredentialExpiry ?? false);

        TimeSpan Parse(string? text, string at, TimeSpan whenAbsent)
        {
            if (text is null)
            {
                return whenAbsent;
            }

            if (!Duration.TryParse(text, out var value))
            {
                Error(at, $"'{text}' is not a duration like 90s, 15m, 8h, 30d");
                return whenAbsent;
            }

            return value;
        }
    }

    private KeyRule CompileKeys(KeysDocument? keys, string path)
    {
        var types = new HashSet<string>(keys?.Types ?? [.. KeyRule.AllTypes], StringComparer.Ordinal);
        foreach (var type in types.Where(t => !KeyRule.AllTypes.Contains(t, StringComparer.Ordinal)))
        {
            Error($"{path}.types", $"unknown key type '{type}'; known: {string.Join(", ", KeyRule.AllTypes)}");
        }

        var rsaMinBits = keys?.RsaMinBits ?? 3072;
        if (rsaMinBits is < 2048 or > SshLimits.MaxRsaModulusBits)
        {
            Error($"{path}.rsaMinBits", $"must be 2048..{SshLimits.MaxRsaModulusBits}");
        }

        var sk = keys?.SecurityKeys switch
        {
            null or "allowed" => SecurityKeyPolicy.Allowed,
            "required" => SecurityKeyPolicy.Required,
            "forbidden" => SecurityKeyPolicy.Forbidden,
            var other => Invalid(other),
        };
        return new KeyRule(types, rsaMinBits, sk);

        SecurityKeyPolicy Invalid(string value)
        {
            Error($"{path}.securityKeys", $"'{value}' is not allowed, required or forbidden");
            return SecurityKeyPolicy.Allowed;
        }
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
