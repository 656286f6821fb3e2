using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy.Rules;

/// <summary>
/// Turns the union of the applicable roles' grants and a request into a certificate template, or
/// reasons (docs/policy.md, "What a request may do"). Called by <see cref="SshPolicy"/> only.
/// </summary>
internal static class GrantEvaluator
{
    public static SshCertificateFields? User(CallerIdentity caller, CertificateRequest request, DateTimeOffset now, UserGrantRule[] grants, List<PolicyReason> reasons)
    {
        // Principals: the union of every applicable role's expansion; a request may pick a subset.
        var granted = new SortedSet<string>(grants.SelectMany(g => g.Principals.SelectMany(p => p.Expand(caller))), StringComparer.Ordinal);
        var principals = Principals(request, granted, reasons, p => granted.Contains(p) ? null : $"principal '{p}' is not granted (granted: {Join(granted)})");
        var (after, before) = Validity(caller, request, now, grants.Select(g => g.Validity).ToArray(), reasons);

        var critical = new List<SshOption>();
        ForceCommand(request, grants, critical, reasons);
        SourceAddress(request, grants, critical, reasons);
        if (request.CriticalOptions.TryGetValue(SshCriticalOptions.VerifyRequiredName, out var verifyValue))
        {
            if (verifyValue is not null)
            {
                reasons.Add(new PolicyReason(ReasonCodes.Invalid, "critical_options.verify-required", "verify-required is a flag and takes no value"));
            }

            critical.Add(SshCriticalOptions.VerifyRequired());
        }
        else if (request.PublicKey.IsSecurityKey && (grants.All(g => g.VerifyRequiredForSecurityKeys) || request.Attestation is { UserVerified: true } || grants.Any(g => g.Keys.Attestation.RequireUserVerification)))
        {
            // Also when the enrollment attested user verification, or a role required it: sshd then
            // refuses a signature made without it (issue 29).
            critical.Add(SshCriticalOptions.VerifyRequired());
        }

        foreach (var (name, value) in request.CriticalOptions)
        {
            if (SshCriticalOptions.IsStandard(name))
            {
                continue;
            }

            var allowedBy = grants.Where(g => g.CustomCriticalOptions.TryGetValue(name, out var values) && (values.Count == 0 ? value is null : value is not null && values.Contains(value))).ToArray();
            if (allowedBy.Length == 0)
            {
                var known = grants.Any(g => g.CustomCriticalOptions.ContainsKey(name));
                reasons.Add(new PolicyReason(ReasonCodes.CriticalOptionNotAllowed, $"critical_options.{name}", known
                    ? $"critical option {name} is allowed only with {string.Join(" or ", grants.SelectMany(g => g.CustomCriticalOptions.GetValueOrDefault(name) ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).DefaultIfEmpty("no value"))}"
                    : $"critical option {name} is unknown to the policy: sshd would refuse the certificate, and no role allows it"));
                continue;
            }

            critical.Add(value is null ? SshOption.Flag(name) : SshOption.WithValue(name, value));
        }

        var allowed = new HashSet<string>(grants.SelectMany(g => g.ExtensionsAllowed.Concat(g.ExtensionsDefault)), StringComparer.Ordinal);
        var extensions = new List<SshOption>();
        if (request.Extensions is null)
        {
            extensions.AddRange(grants.SelectMany(g => g.ExtensionsDefault).Distinct(StringComparer.Ordinal).Select(SshOption.Flag));
        }
        else
        {
            foreach (var (name, value) in request.Extensions)
            {
                if (!allowed.Contains(name))
                {
                    reasons.Add(new PolicyReason(ReasonCodes.ExtensionNotAllowed, $"extensions.{name}", $"extension {name} is not allowed (allowed: {Join(allowed)})"));
                }
                else if (SshExtensions.IsStandard(name) && value is not null)
                {
                    reasons.Add(new PolicyReason(ReasonCodes.Invalid, $"extensions.{name}", $"{name} is a flag and takes no value"));
                }
                else
                {
                    extensions.Add(value is null ? SshOption.Flag(name) : SshOption.WithValue(name, value));
                }
            }
        }

        return Template(SshCertificateType.User, principals, after, before, critical, extensions, reasons);
    }

    public static SshCertificateFields? Host(CallerIdentity caller, CertificateRequest request, DateTimeOffset now, HostGrantRule[] grants, List<PolicyReason> reasons)
    {
        if (request.CriticalOptions.Count > 0)
        {
            // PROTOCOL.certkeys defines no critical options for host certificates; ssh refuses one that has any.
            reasons.Add(new PolicyReason(ReasonCodes.CriticalOptionNotAllowed, "critical_options", "host certificates carry no critical options"));
        }

        if (request.Extensions is { Count: > 0 })
        {
            reasons.Add(new PolicyReason(ReasonCodes.ExtensionNotAllowed, "extensions", "host certificates carry no extensions"));
        }

        var bound = caller.BoundHostNames;
        var fallback = new SortedSet<string>(bound, StringComparer.Ordinal);
        var principals = Principals(request, fallback, reasons, p =>
        {
            if (bound.Count > 0 && !bound.Contains(p, StringComparer.Ordinal))
            {
                return $"host name {p} is not one the caller's credential is bound to ({Join(bound)})";
            }

            var problems = grants.Select(g => g.Reject(p)).ToArray();
            return problems.Any(r => r is null) ? null : problems[0];
        });
        var (after, before) = Validity(caller, request, now, grants.Select(g => g.Validity with { CapAtCredentialExpiry = false }).ToArray(), reasons);
        return Template(SshCertificateType.Host, principals, after, before, [], [], reasons);
    }

    private static string[] Principals(CertificateRequest request, SortedSet<string> fallback, List<PolicyReason> reasons, Func<string, string?> reject)
    {
        if (request.Principals.Count > SshLimits.MaxPrincipals)
        {
            reasons.Add(new PolicyReason(ReasonCodes.Invalid, "principals", $"more than {SshLimits.MaxPrincipals} principals requested"));
            return [];
        }

        var chosen = request.Principals.Count > 0 ? new SortedSet<string>(request.Principals, StringComparer.Ordinal) : fallback;
        var result = new List<string>();
        foreach (var principal in chosen)
        {
            if (reject(principal) is { } problem)
            {
                reasons.Add(new PolicyReason(ReasonCodes.PrincipalNotAllowed, "principals", problem));
            }
            else
            {
                result.Add(principal);
            }
        }

        if (chosen.Count == 0)
        {
            reasons.Add(new PolicyReason(ReasonCodes.NoPrincipals, "principals", request.Type == SshCertificateType.User
                ? "the matched roles grant no principal to this caller; a certificate without principals is never issued"
                : "name the host names to certify: a host certificate without principals is never issued"));
        }

        return [.. result];
    }

    private static (ulong After, ulong Before) Validity(CallerIdentity caller, CertificateRequest request, DateTimeOffset now, ValidityRule[] rules, List<PolicyReason> reasons)
    {
        var max = rules.Max(r => r.Max);
        var min = rules.Min(r => r.Min);
        var requested = request.Validity ?? rules.Max(r => r.Default);
        var backdate = rules.Max(r => r.Backdate);
        if (requested > max)
        {
            reasons.Add(new PolicyReason(ReasonCodes.ValidityNotAllowed, "validity", $"{Duration.Format(requested)} exceeds the maximum of {Duration.Format(max)}"));
        }
        else if (requested < min)
        {
            reasons.Add(new PolicyReason(ReasonCodes.ValidityNotAllowed, "validity", $"{Duration.Format(requested)} is below the minimum of {Duration.Format(min)}"));
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        var after = (ulong)Math.Max(0, nowSeconds - (long)backdate.TotalSeconds);
        var before = (ulong)(nowSeconds + (long)requested.TotalSeconds);
        if (rules.All(r => r.CapAtCredentialExpiry) && caller.CredentialExpiresAt is { } expires && expires < before)
        {
            before = expires;
            if (before <= (ulong)nowSeconds)
            {
                reasons.Add(new PolicyReason(ReasonCodes.ValidityNotAllowed, "validity", "the caller's own credential has expired"));
            }
        }

        return (after, before);
    }

    private static void ForceCommand(CertificateRequest request, UserGrantRule[] grants, List<SshOption> critical, List<PolicyReason> reasons)
    {
        const string field = "critical_options.force-command";
        request.CriticalOptions.TryGetValue(SshCriticalOptions.ForceCommandName, out var requested);
        var requestedGiven = request.CriticalOptions.ContainsKey(SshCriticalOptions.ForceCommandName);
        var unrestricted = grants.Any(g => g.ForceCommand is null);
        if (requestedGiven)
        {
            if (string.IsNullOrEmpty(requested) || requested.Contains('\0', StringComparison.Ordinal))
            {
                reasons.Add(new PolicyReason(ReasonCodes.Invalid, field, "force-command needs a command"));
            }
            else if (!unrestricted && !grants.Any(g => g.ForceCommand!.Allowed.Contains(requested)))
            {
                reasons.Add(new PolicyReason(ReasonCodes.CriticalOptionNotAllowed, field, $"command '{requested}' is not allowed (allowed: {Join(grants.SelectMany(g => g.ForceCommand!.Allowed))})"));
            }
            else
            {
                critical.Add(SshCriticalOptions.ForceCommand(requested));
            }

            return;
        }

        if (unrestricted || grants.Any(g => g.ForceCommand!.Forced is null))
        {
            return;
        }

        var forced = grants.Select(g => g.ForceCommand!.Forced!).Distinct(StringComparer.Ordinal).ToArray();
        if (forced.Length == 1)
        {
            critical.Add(SshCriticalOptions.ForceCommand(forced[0]));
        }
        else
        {
            reasons.Add(new PolicyReason(ReasonCodes.Conflict, field, $"the matched roles force different commands ({Join(forced)}); request one of them"));
        }
    }

    private static void SourceAddress(CertificateRequest request, UserGrantRule[] grants, List<SshOption> critical, List<PolicyReason> reasons)
    {
        const string field = "critical_options.source-address";
        var unrestricted = grants.Any(g => g.SourceAddress is null);
        if (request.CriticalOptions.TryGetValue(SshCriticalOptions.SourceAddress, out var requested))
        {
            SourceAddressList list;
            try
            {
                list = SourceAddressList.Parse(requested ?? string.Empty);
            }
            catch (SshFormatException e)
            {
                reasons.Add(new PolicyReason(ReasonCodes.Invalid, field, e.Problem));
                return;
            }

            var outside = unrestricted ? [] : list.Entries.Where(e => !grants.Any(g => g.SourceAddress!.Allowed.Any(n => n.Contains(e)))).ToArray();
            if (outside.Length > 0)
            {
                reasons.Add(new PolicyReason(ReasonCodes.CriticalOptionNotAllowed, field, $"{Join(outside.Select(e => e.Text))} not inside the allowed networks ({Join(grants.SelectMany(g => g.SourceAddress!.Allowed).Select(n => n.Text))})"));
            }
            else
            {
                critical.Add(SshCriticalOptions.SourceAddresses(list));
            }

            return;
        }

        if (unrestricted || grants.Any(g => g.SourceAddress!.Default is null))
        {
            return;
        }

        var defaults = grants.Select(g => g.SourceAddress!.Default!.Text).Distinct(StringComparer.Ordinal).ToArray();
        if (defaults.Length == 1)
        {
            critical.Add(SshCriticalOptions.SourceAddresses(SourceAddressList.Parse(defaults[0])));
        }
        else
        {
            reasons.Add(new PolicyReason(ReasonCodes.Conflict, field, $"the matched roles set different default source addresses ({Join(defaults)}); request one"));
        }
    }

    private static SshCertificateFields? Template(SshCertificateType type, string[] principals, ulong after, ulong before, List<SshOption> critical, List<SshOption> extensions, List<PolicyReason> reasons)
    {
        if (reasons.Count > 0)
        {
            return null;
        }

        try
        {
            return new SshCertificateFields
            {
                Type = type,
                KeyId = string.Empty,
                Principals = principals,
                ValidAfter = after,
                ValidBefore = before,
                CriticalOptions = SshOptionSet.Create(SshOptionKind.Critical, critical),
                Extensions = SshOptionSet.Create(SshOptionKind.Extension, extensions),
            };
        }
        catch (ArgumentException e)
        {
            reasons.Add(new PolicyReason(ReasonCodes.Invalid, "options", e.Message));
            return null;
        }
    }

    public static string Join(IEnumerable<string> values)
    {
        var list = values.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
