using SshHsmCa.Ssh;
using System.Globalization;
using System.Text;
using SshHsmCa.Policy.Configuration;
using SshHsmCa.Policy.Rules;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy;

/// <summary>
/// A loaded, immutable policy: one pure function from (caller, request, now) to a decision.
/// A caller's grant is the union of the grants of every role that matches it and accepts the
/// subject key; the result does not depend on the order of the roles (docs/policy.md).
/// </summary>
public sealed class SshPolicy
{
    private readonly string _keyIdFormat;
    private readonly CompiledRole[] _roles;

    private SshPolicy(string keyIdFormat, CompiledRole[] roles)
    {
        _keyIdFormat = keyIdFormat;
        _roles = roles;
    }

    /// <summary>The role names, in file order.</summary>
    public IReadOnlyList<string> RoleNames => [.. _roles.Select(r => r.Name)];

    /// <summary>Loads a policy from JSON text.</summary>
    /// <exception cref="PolicyLoadException">Every problem with its JSON path; nothing is loaded.</exception>
    public static SshPolicy Load(string json)
    {
        var (format, roles) = PolicyLoader.Load(json);
        return new SshPolicy(format, roles);
    }

    /// <summary>Decides what certificate, if any, <paramref name="caller"/> gets for <paramref name="request"/> at <paramref name="now"/>.</summary>
    public PolicyDecision Evaluate(CallerIdentity caller, CertificateRequest request, DateTimeOffset now) => Run(caller, request, now, null);

    /// <summary>
    /// May <paramref name="caller"/> perform the operator action <paramref name="permission"/>?
    /// Deny by default: only a role that matches the caller and names the permission grants it,
    /// whichever listener the caller came through.
    /// </summary>
    public PermissionDecision Authorize(CallerIdentity caller, OperatorRight permission)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var grantedBy = new List<string>();
        var matched = 0;
        foreach (var role in _roles)
        {
            if (role.Matches(caller))
            {
                matched++;
                if (role.Operator.Contains(permission))
                {
                    grantedBy.Add(role.Name);
                }
            }
        }

        if (grantedBy.Count > 0)
        {
            grantedBy.Sort(StringComparer.Ordinal);
            return new PermissionDecision(permission, grantedBy, null);
        }

        var name = OperatorRights.NameOf(permission);
        var why = matched == 0
            ? $"no role matches {caller.Name} ({AuthMethods.Name(caller.Method)}), so it may not '{name}'"
            : $"no role matching {caller.Name} ({AuthMethods.Name(caller.Method)}) grants the operator right '{name}'";
        return new PermissionDecision(permission, [], new PolicyReason(ReasonCodes.PermissionNotGranted, "caller", why));
    }

    /// <summary>
    /// The agent restriction of the applicable user roles: a key is restricted when any of them
    /// restricts it, to the union of their hops; unrestricted fallback only when all of those allow it.
    /// </summary>
    private static AgentRestriction? AgentOf(IEnumerable<Rules.UserGrantRule> grants)
    {
        var restricting = grants.Select(g => g.Agent).OfType<AgentRestriction>().ToArray();
        return restricting.Length == 0
            ? null
            : new AgentRestriction([.. restricting.SelectMany(r => r.Hops).Distinct().OrderBy(h => h.From, StringComparer.Ordinal).ThenBy(h => h.To, StringComparer.Ordinal)], restricting.All(r => r.AllowUnrestricted));
    }

    /// <summary>The same evaluation, with what every role contributed.</summary>
    public PolicyExplanation Explain(CallerIdentity caller, CertificateRequest request, DateTimeOffset now)
    {
        var explanations = new List<RoleExplanation>(_roles.Length);
        var decision = Run(caller, request, now, explanations);
        return new PolicyExplanation(decision, explanations);
    }

    /// <summary>One evaluation; role explanations are written only when <paramref name="explanations"/> is given.</summary>
    private PolicyDecision Run(CallerIdentity caller, CertificateRequest request, DateTimeOffset now, List<RoleExplanation>? explanations)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var matched = new List<string>();
        var applicableUser = new List<(CompiledRole Role, UserGrantRule Grant)>();
        var applicableHost = new List<(CompiledRole Role, HostGrantRule Grant)>();
        var keyReasons = new List<PolicyReason>();
        var user = request.Type == SshCertificateType.User;
        var grantsType = false;
        foreach (var role in _roles)
        {
            if (!role.Matches(caller))
            {
                explanations?.Add(new RoleExplanation(role.Name, false, false, role.Mismatch(caller)));
                continue;
            }

            matched.Add(role.Name);
            var keys = user ? role.User?.Keys : role.Host?.Keys;
            if (keys is null)
            {
                explanations?.Add(new RoleExplanation(role.Name, true, false, $"grants no {request.TypeName} certificates"));
                continue;
            }

            grantsType = true;
            if (keys.Reject(request.PublicKey, request.Attestation) is { } keyProblem)
            {
                keyReasons.Add(new PolicyReason(ReasonCodes.KeyNotAllowed, "public_key", $"role {role.Name}: {keyProblem}"));
                explanations?.Add(new RoleExplanation(role.Name, true, false, keyProblem));
                continue;
            }

            if (user)
            {
                applicableUser.Add((role, role.User!));
                explanations?.Add(new RoleExplanation(role.Name, true, true, DescribeUser(role.User!, caller)));
            }
            else
            {
                applicableHost.Add((role, role.Host!));
                explanations?.Add(new RoleExplanation(role.Name, true, true, $"host names {string.Join(", ", role.Host!.Names)}; validity up to {Duration.Format(role.Host.Validity.Max)}"));
            }
        }

        matched.Sort(StringComparer.Ordinal);
        PolicyDecision decision;
        if (!grantsType)
        {
            decision = new Deny([new PolicyReason(ReasonCodes.NoRole, "caller", $"no role grants {request.TypeName} certificates to {caller.Name} ({AuthMethods.Name(caller.Method)})")], matched);
        }
        else if (user ? applicableUser.Count == 0 : applicableHost.Count == 0)
        {
            decision = new Deny(Sorted(keyReasons), matched);
        }
        else
        {
            var reasons = new List<PolicyReason>();
            var template = user
                ? GrantEvaluator.User(caller, request, now, applicableUser.Select(a => a.Grant).ToArray(), reasons)
                : GrantEvaluator.Host(caller, request, now, applicableHost.Select(a => a.Grant).ToArray(), reasons);
            if (reasons.Count > 0 || template is null)
            {
                decision = new Deny(Sorted(reasons.Count > 0 ? reasons : [new PolicyReason(ReasonCodes.Invalid, "request", "refused")]), matched);
            }
            else
            {
                var roles = (user ? applicableUser.Select(a => a.Role.Name) : applicableHost.Select(a => a.Role.Name)).Order(StringComparer.Ordinal);

                // Host roles may set their own format; when the applicable ones disagree, the policy's wins.
                var formats = user ? [] : applicableHost.Select(a => a.Grant.KeyIdFormat ?? _keyIdFormat).Distinct(StringComparer.Ordinal).ToArray();
                var format = formats.Length == 1 ? formats[0] : _keyIdFormat;
                decision = new Allow(template with { KeyId = KeyId(format, caller, request, template.Principals, roles) }, matched)
                {
                    Agent = user ? AgentOf(applicableUser.Select(a => a.Grant)) : null,
                };
            }
        }

        return decision;
    }

    private static string KeyId(string format, CallerIdentity caller, CertificateRequest request, IReadOnlyList<string> principals, IEnumerable<string> roles)
    {
        var text = new StringBuilder(format)
            .Replace("{caller}", caller.Name)
            .Replace("{method}", AuthMethods.Name(caller.Method))
            .Replace("{type}", request.TypeName)
            .Replace("{principals}", string.Join(',', principals))
            .Replace("{requestId}", request.RequestId)
            .Replace("{roles}", string.Join(',', roles))
            .ToString();
        var clean = new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length > 1024 ? clean[..1024] : clean;
    }

    private static string DescribeUser(UserGrantRule grant, CallerIdentity caller) => string.Create(CultureInfo.InvariantCulture,
        $"principals {GrantEvaluator.Join(grant.Principals.SelectMany(p => p.Expand(caller)).Distinct(StringComparer.Ordinal))}; validity {Duration.Format(grant.Validity.Default)} (max {Duration.Format(grant.Validity.Max)}); extensions {GrantEvaluator.Join(grant.ExtensionsDefault)}");

    private static PolicyReason[] Sorted(IEnumerable<PolicyReason> reasons) =>
        [.. reasons.Distinct().OrderBy(r => r.Code, StringComparer.Ordinal).ThenBy(r => r.Field, StringComparer.Ordinal).ThenBy(r => r.Message, StringComparer.Ordinal)];
}
