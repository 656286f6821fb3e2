using SshHsmCa.Policy.Rules;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy.Configuration;

/// <summary>The grant sections of a role: user, host, validity and key rules.</summary>
internal sealed partial class PolicyLoader
{
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
            Agent = CompileAgent(user.Agent, $"{path}.agent"),
        };
    }

    /// <summary>
    /// The hops of an agent section. Host names are literal: ssh-agent checks each against the
    /// principals of the host certificate the hop shows, so a pattern would match nothing.
    /// </summary>
    private AgentRestriction? CompileAgent(AgentDocument? agent, string path)
    {
        if (agent is null)
        {
            return null;
        }

        if (!agent.RestrictDestinations)
        {
            if (agent.Hosts is { Count: > 0 } || agent.Via is { Count: > 0 })
            {
                Error($"{path}.restrictDestinations", "hosts and via take effect only with restrictDestinations: true");
            }

            return null;
        }

        var hops = new SortedSet<AgentHop>(Comparer<AgentHop>.Create((a, b) => string.CompareOrdinal(a.From + "\n" + a.To, b.From + "\n" + b.To)));
        foreach (var (host, i) in (agent.Hosts ?? []).Select((h, i) => (h, i)))
        {
            if (CheckHop(host, $"{path}.hosts[{i}]"))
            {
                hops.Add(new AgentHop(string.Empty, host));
            }
        }

        foreach (var (via, i) in (agent.Via ?? []).Select((v, i) => (v, i)))
        {
            if (via.To is not { Count: > 0 })
            {
                Error($"{path}.via[{i}].to", "names no host");
            }

            if (!CheckHop(via.From, $"{path}.via[{i}].from"))
            {
                continue;
            }

            foreach (var (to, j) in (via.To ?? []).Select((t, j) => (t, j)))
            {
                if (CheckHop(to, $"{path}.via[{i}].to[{j}]"))
                {
                    hops.Add(new AgentHop(via.From!, to));
                }
            }
        }

        if (hops.Count == 0)
        {
            Error($"{path}.hosts", "restrictDestinations needs at least one host: a key usable nowhere is no login");
        }
        else if (hops.Count > 1024)
        {
            Error($"{path}.hosts", $"{hops.Count} hops: ssh-agent takes at most 1024 destination constraints per key");
        }

        return new AgentRestriction([.. hops], agent.AllowUnrestricted);
    }

    private bool CheckHop(string? host, string path)
    {
        if (host is not null && HostGrantRule.IsHostName(host) && !host.Contains('*', StringComparison.Ordinal))
        {
            return true;
        }

        Error(path, $"'{host}' is not a host name: hops are literal names (ssh-agent matches them against host certificate principals; no wildcards)");
        return false;
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
        var aaguids = new HashSet<Guid>();
        foreach (var (text, i) in (keys?.Aaguids ?? []).Select((t, i) => (t, i)))
        {
            if (Guid.TryParseExact(text, "D", out var aaguid))
            {
                aaguids.Add(aaguid);
            }
            else
            {
                Error($"{path}.aaguids[{i}]", $"'{text}' is not an AAGUID (8-4-4-4-12 hex digits)");
            }
        }

        var attestation = new AttestationRule(keys?.RequireAttestation ?? false, aaguids, keys?.RequireUserVerification ?? false, keys?.AllowBackup ?? false);
        if ((attestation.Required || aaguids.Count > 0 || attestation.RequireUserVerification) && sk == SecurityKeyPolicy.Forbidden)
        {
            Error($"{path}.requireAttestation", "attestation rules apply to security keys, which securityKeys 'forbidden' refuses");
        }

        if ((aaguids.Count > 0 || attestation.RequireUserVerification) && !attestation.Required)
        {
            Error($"{path}.requireAttestation", "aaguids and requireUserVerification are proved by an attestation: set requireAttestation to true");
        }

        return new KeyRule(types, rsaMinBits, attestation.Required ? SecurityKeyPolicy.Required : sk, attestation);

        SecurityKeyPolicy Invalid(string value)
        {
            Error($"{path}.securityKeys", $"'{value}' is not allowed, required or forbidden");
            return SecurityKeyPolicy.Allowed;
        }
    }
}
