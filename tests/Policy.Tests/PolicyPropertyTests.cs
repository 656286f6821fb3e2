using System.Text.Json;
using CsCheck;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

/// <summary>
/// Random policies and requests (CsCheck, shrinking on failure): an Allow never exceeds the union
/// of what the matched, applicable roles grant; a Deny always has a reason; the decision does not
/// depend on the order of the roles; the same input gives the same output.
/// </summary>
public class PolicyPropertyTests
{
    private static readonly string[] Groups = ["eng", "ops", "deploy", "sec"];
    private static readonly string[] PrincipalPool = ["alice", "root", "deploy", "web", "db"];
    private static readonly string[] Commands = ["/bin/true", "/usr/bin/id", "/opt/run"];
    private static readonly string[] Networks = ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"];
    private static readonly string[] RequestNetworks = ["10.1.0.0/16", "192.168.1.0/24", "8.8.8.8", "172.16.5.0/24"];
    private static readonly string[] ExtensionPool = ["permit-pty", "permit-agent-forwarding", "permit-port-forwarding", "login@example.com"];
    private static readonly string[] KeyTypes = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"];
    private static readonly SshPublicKey[] Keys = [Ed25519, EcdsaP256(), Rsa3072];

    private sealed record RoleSpec(string[] MatchGroups, string[] Principals, int MaxHours, int DefaultHours, string[]? Commands, string? Forced,
        string[]? Networks, string? DefaultNetwork, string[] Allowed, string[] Defaults, string[] KeyTypes, string[] Custom);

    private sealed record Case(RoleSpec[] Roles, string[] CallerGroups, int KeyIndex, string[] Principals, int? Hours,
        string? Command, string? Network, string[]? Extensions, string? CustomCritical, int Shuffle);

    private static readonly Gen<RoleSpec> RoleGen =
        Gen.Select(
            Gen.OneOf(Groups).Array[1, 2],
            Gen.OneOf(PrincipalPool).Array[1, 3],
            Gen.Int[1, 24],
            Gen.Int[1, 24],
            Gen.Select(Gen.OneOf(Commands).Array[0, 2], Gen.Bool, Gen.OneOf(Commands), (c, has, f) => (c, f: has ? f : null)).Nullable(0.4),
            Gen.Select(Gen.OneOf(Networks).Array[0, 2], Gen.Bool, (n, d) => (n, d)).Nullable(0.4),
            Gen.Select(Gen.OneOf(ExtensionPool).Array[0, 3], Gen.OneOf(ExtensionPool).Array[0, 2], (a, d) => (a, d)),
            Gen.Select(Gen.OneOf(KeyTypes).Array[1, 3], Gen.OneOf("x@example.com", "y@example.com").Array[0, 1], (k, c) => (k, c)),
            (match, principals, max, def, command, network, extensions, keysAndCustom) =>
            {
                var forced = command?.f;
                var networks = network?.n;
                return new RoleSpec(
                    [.. match.Distinct(StringComparer.Ordinal)], [.. principals.Distinct(StringComparer.Ordinal)], max, Math.Min(def, max),
                    command is null ? null : [.. command.Value.c.Distinct(StringComparer.Ordinal)], forced,
                    networks is null ? null : [.. networks.Distinct(StringComparer.Ordinal)],
                    networks is { Length: > 0 } && network!.Value.d ? networks[0] : null,
                    [.. extensions.a.Concat(extensions.d).Distinct(StringComparer.Ordinal)], [.. extensions.d.Distinct(StringComparer.Ordinal)],
                    [.. keysAndCustom.k.Distinct(StringComparer.Ordinal)], [.. keysAndCustom.c.Distinct(StringComparer.Ordinal)]);
            });

    private static readonly Gen<Case> CaseGen =
        Gen.Select(
            RoleGen.Array[1, 5],
            Gen.OneOf(Groups).Array[1, 3],
            Gen.Int[0, 2],
            Gen.OneOf(PrincipalPool).Array[0, 2].Null(0.5).Select(p => p ?? []),
            Gen.Int[1, 30].Nullable(0.7),
            Gen.Select(Gen.OneOf(Commands).Null(0.8), Gen.OneOf(RequestNetworks).Null(0.8), (c, n) => (c, n)),
            Gen.OneOf(ExtensionPool).Array[0, 2].Null(0.6),
            Gen.Select(Gen.OneOf("x@example.com", "z@example.com").Null(0.85), Gen.Int[0, 1000], (c, s) => (c, s)),
            (roles, groups, key, principals, hours, options, extensions, last) =>
                new Case(roles, [.. groups.Distinct(StringComparer.Ordinal)], key, principals, hours, options.c, options.n, extensions, last.c, last.s));

    [Fact]
    public void AnAllowNeverExceedsTheUnionOfTheApplicableRolesGrants()
    {
        var allows = 0;
        var denies = 0;
        CaseGen.Sample(c =>
        {
            var policy = SshPolicy.Load(Json(c.Roles));
            var caller = Alice(c.CallerGroups);
            var request = Request(c);
            var decision = policy.Evaluate(caller, request, Now);
            var applicable = c.Roles.Where(r => r.MatchGroups.Intersect(c.CallerGroups, StringComparer.Ordinal).Any() && r.KeyTypes.Contains(Keys[c.KeyIndex].KeyType, StringComparer.Ordinal)).ToArray();
            switch (decision)
            {
                case Deny deny:
                    Assert.NotEmpty(deny.Reasons);
                    Interlocked.Increment(ref denies);
                    break;
                case Allow allow:
                    Interlocked.Increment(ref allows);
                    var t = allow.Template;
                    Assert.NotEmpty(applicable);
                    Assert.NotEmpty(t.Principals);
                    Assert.All(t.Principals, p => Assert.Contains(applicable, r => r.Principals.Contains(p, StringComparer.Ordinal)));
                    Assert.True(t.ValidBefore - (ulong)Now.ToUnixTimeSeconds() <= (ulong)applicable.Max(r => r.MaxHours) * 3600UL);
                    Assert.All(t.Extensions, e => Assert.Contains(applicable, r => r.Allowed.Contains(e.Name, StringComparer.Ordinal)));
                    if (t.CriticalOptions.Find("force-command")?.GetStringValue() is { } command && command != c.Command)
                    {
                        // Not asked for: it must be forced by every applicable role.
                        Assert.All(applicable, r => Assert.Equal(command, r.Forced));
                    }
                    else if (t.CriticalOptions.Find("force-command") is not null && applicable.All(r => r.Commands is not null))
                    {
                        Assert.Contains(applicable, r => r.Commands!.Contains(c.Command!, StringComparer.Ordinal) || r.Forced == c.Command);
                    }

                    if (t.CriticalOptions.Find("source-address")?.GetStringValue() is { } list && applicable.All(r => r.Networks is not null))
                    {
                        Assert.All(SourceAddressList.Parse(list).Entries, e => Assert.Contains(applicable, r => r.Networks!.Any(n => SshCidr.Parse(n).Contains(e))));
                    }

                    Assert.All(t.CriticalOptions.Where(o => o.Name.Contains('@', StringComparison.Ordinal)), o => Assert.Contains(applicable, r => r.Custom.Contains(o.Name, StringComparer.Ordinal)));
                    Assert.Equal(c.Hours is null ? (ulong)applicable.Max(r => r.DefaultHours) * 3600UL : (ulong)c.Hours.Value * 3600UL, t.ValidBefore - (ulong)Now.ToUnixTimeSeconds());
                    break;
            }
        }, iter: 3000, seed: "0N0XIzNsQ0O2");

        // The generator must exercise both outcomes, or the property proves little.
        Assert.True(allows > 300 && denies > 300, $"allows {allows}, denies {denies}");
    }

    [Fact]
    public void TheDecisionIsDeterministicAndIndependentOfRoleOrder() =>
        CaseGen.Sample(c =>
        {
            var request = Request(c);
            var caller = Alice(c.CallerGroups);
            var shuffled = c.Roles.Select((r, i) => (i, r)).OrderBy(p => (p.i * 7919) ^ c.Shuffle).ToArray();
            var a = SshPolicy.Load(Json(c.Roles)).Evaluate(caller, request, Now);
            var again = SshPolicy.Load(Json(c.Roles)).Evaluate(caller, request, Now);
            var b = SshPolicy.Load(Json(shuffled)).Evaluate(caller, request, Now);
            AssertSame(a, again);
            AssertSame(a, b);
        }, iter: 1500, seed: "0N0XIzNsQ0O3");

    private static void AssertSame(PolicyDecision expected, PolicyDecision actual)
    {
        Assert.Equal(expected.IsAllowed, actual.IsAllowed);
        Assert.Equal(expected.MatchedRoles, actual.MatchedRoles);
        if (expected is Allow allow)
        {
            var other = (Allow)actual;
            Assert.Equal(allow.Template.Principals, other.Template.Principals);
            Assert.Equal(allow.Template.ValidBefore, other.Template.ValidBefore);
            Assert.Equal(allow.Template.CriticalOptions, other.Template.CriticalOptions);
            Assert.Equal(allow.Template.Extensions, other.Template.Extensions);
        }
        else
        {
            Assert.Equal(((Deny)expected).Reasons.Select(r => r.Code).Order(StringComparer.Ordinal), ((Deny)actual).Reasons.Select(r => r.Code).Order(StringComparer.Ordinal));
        }
    }

    private static CertificateRequest Request(Case c)
    {
        var critical = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (c.Command is not null)
        {
            critical["force-command"] = c.Command;
        }

        if (c.Network is not null)
        {
            critical["source-address"] = c.Network;
        }

        if (c.CustomCritical is not null)
        {
            critical[c.CustomCritical] = null;
        }

        return User(Keys[c.KeyIndex], [.. c.Principals.Distinct(StringComparer.Ordinal)], c.Hours is null ? null : TimeSpan.FromHours(c.Hours.Value), critical,
            c.Extensions?.Distinct(StringComparer.Ordinal).ToDictionary(e => e, e => (string?)null, StringComparer.Ordinal));
    }

    private static string Json(RoleSpec[] roles) => Json(roles.Select((r, i) => (i, r)));

    private static string Json(IEnumerable<(int Index, RoleSpec Role)> roles) => JsonSerializer.Serialize(new
    {
        roles = roles.Select(pair => (pair.Role, Name: $"r{pair.Index}")).Select(x => (r: x.Role, x.Name)).Select(x => new
        {
            name = x.Name,
            match = new[] { new { oidc = new { issuer = "https://sso.example.com", groups = x.r.MatchGroups } } },
            user = new
            {
                principals = x.r.Principals,
                validity = new { @default = $"{x.r.DefaultHours}h", max = $"{x.r.MaxHours}h", min = "1m" },
                forceCommand = x.r.Commands is null ? null : new { allowed = x.r.Commands, forced = x.r.Forced },
                sourceAddress = x.r.Networks is null ? null : new { allowed = x.r.Networks, @default = x.r.DefaultNetwork },
                extensions = new { allowed = x.r.Allowed, @default = x.r.Defaults },
                keys = new { types = x.r.KeyTypes },
                customCriticalOptions = x.r.Custom.ToDictionary(n => n, _ => Array.Empty<string>(), StringComparer.Ordinal),
            },
        }),
    }, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static EcdsaPublicKey EcdsaP256() =>
        EcdsaPublicKey.FromParameters(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportParameters(false));
}
