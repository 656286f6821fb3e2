using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

public class UserPolicyTests
{
    private static readonly Dictionary<string, string?> NoOptions = new(StringComparer.Ordinal);

    [Fact]
    public void EngineerGetsTemplatedPrincipalsDefaultsAndBackdate()
    {
        var allow = Allowed(StandardPolicy.Evaluate(Alice("eng", "web"), User(), Now));
        var t = allow.Template;
        Assert.Equal(["alice", "eng", "web"], t.Principals);
        Assert.Equal((ulong)Now.ToUnixTimeSeconds() - 300, t.ValidAfter);
        Assert.Equal((ulong)Now.ToUnixTimeSeconds() + (8 * 3600), t.ValidBefore);
        Assert.Equal(["permit-pty"], t.Extensions.Select(e => e.Name));
        Assert.Empty(t.CriticalOptions);
        Assert.Equal("alice@example.com via oidc [alice,eng,web] req-1", t.KeyId);
        Assert.Equal(["engineers"], allow.MatchedRoles);
    }

    [Fact]
    public void ARequestMayNarrowPrincipalsButNeverWiden()
    {
        Assert.Equal(["alice"], Allowed(StandardPolicy.Evaluate(Alice("eng"), User(principals: ["alice"]), Now)).Template.Principals);
        var deny = Denied(StandardPolicy.Evaluate(Alice("eng"), User(principals: ["alice", "root"]), Now));
        var reason = Assert.Single(deny.Reasons);
        Assert.Equal(ReasonCodes.PrincipalNotAllowed, reason.Code);
        Assert.Equal("principals", reason.Field);
        Assert.Contains("'root'", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPrincipalsAreNeverIssued()
    {
        // A role whose templates give nothing for this caller (no email, no groups claim).
        var caller = Alice("eng") with { Claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["groups"] = ["eng"] } };
        var policy = SshPolicy.Load("""{ "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["{email.local}"] } } ] }""");
        Assert.Equal(ReasonCodes.NoPrincipals, Assert.Single(Denied(policy.Evaluate(caller, User(), Now)).Reasons).Code);
    }

    [Fact]
    public void TemplateValuesWithUnsafeCharactersAreDroppedNotRewritten()
    {
        var caller = Alice("eng", "Domain Users", "-oProxyCommand", "ok.group");
        Assert.Equal(["alice", "eng", "ok.group"], Allowed(StandardPolicy.Evaluate(caller, User(), Now)).Template.Principals);
    }

    [Fact]
    public void ValidityAboveMaxOrBelowMinIsDeniedNotClamped()
    {
        Assert.Equal((ulong)Now.ToUnixTimeSeconds() + 3600, Allowed(StandardPolicy.Evaluate(Alice("eng"), User(validity: TimeSpan.FromHours(1)), Now)).Template.ValidBefore);
        var tooLong = Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(validity: TimeSpan.FromHours(13)), Now)).Reasons);
        Assert.Equal((ReasonCodes.ValidityNotAllowed, "validity"), (tooLong.Code, tooLong.Field));
        Assert.Contains("12h", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(ReasonCodes.ValidityNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(validity: TimeSpan.FromMinutes(1)), Now)).Reasons).Code);
    }

    [Fact]
    public void ValidityIsCappedAtTheCallersCredentialWhenConfigured()
    {
        var policy = SshPolicy.Load("""{ "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["x"], "validity": { "capAtCredentialExpiry": true } } } ] }""");
        Assert.Equal(Alice().CredentialExpiresAt, Allowed(policy.Evaluate(Alice(), User(), Now)).Template.ValidBefore);
        var expired = Alice() with { CredentialExpiresAt = (ulong)Now.ToUnixTimeSeconds() - 1 };
        Assert.Equal(ReasonCodes.ValidityNotAllowed, Assert.Single(Denied(policy.Evaluate(expired, User(), Now)).Reasons).Code);
    }

    [Fact]
    public void ExtensionsMergeDefaultsUnlessTheRequestNamesItsOwnSet()
    {
        // No extensions named: the defaults. Named: exactly that set, each allowed.
        Assert.Equal(["permit-pty"], Allowed(StandardPolicy.Evaluate(Alice("eng"), User(), Now)).Template.Extensions.Select(e => e.Name));
        var chosen = new Dictionary<string, string?>(StringComparer.Ordinal) { ["permit-agent-forwarding"] = null, ["login@example.com"] = "alice" };
        var t = Allowed(StandardPolicy.Evaluate(Alice("eng"), User(extensions: chosen), Now)).Template;
        Assert.Equal(["login@example.com", "permit-agent-forwarding"], t.Extensions.Select(e => e.Name));
        Assert.Equal("alice", t.Extensions.Find("login@example.com")!.GetStringValue());
        Assert.Empty(Allowed(StandardPolicy.Evaluate(Alice("eng"), User(extensions: NoOptions), Now)).Template.Extensions);

        var widened = new Dictionary<string, string?>(StringComparer.Ordinal) { ["permit-X11-forwarding"] = null };
        var reason = Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(extensions: widened), Now)).Reasons);
        Assert.Equal((ReasonCodes.ExtensionNotAllowed, "extensions.permit-X11-forwarding"), (reason.Code, reason.Field));
    }

    [Fact]
    public void AnEmptyAllowListAllowsNothing()
    {
        var deployer = Alice("deploy");
        var anyExtension = new Dictionary<string, string?>(StringComparer.Ordinal) { ["permit-pty"] = null };
        Assert.Equal(ReasonCodes.ExtensionNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(deployer, User(extensions: anyExtension), Now)).Reasons).Code);

        var noKeys = SshPolicy.Load("""{ "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["x"], "keys": { "types": [] } } } ] }""");
        Assert.Equal(ReasonCodes.KeyNotAllowed, Assert.Single(Denied(noKeys.Evaluate(Alice(), User(), Now)).Reasons).Code);

        var noPrincipals = SshPolicy.Load("""{ "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": [] } } ] }""");
        Assert.Equal(ReasonCodes.NoPrincipals, Assert.Single(Denied(noPrincipals.Evaluate(Alice(), User(), Now)).Reasons).Code);
    }

    [Fact]
    public void ForcedCommandAndDefaultSourceAddressApplyAndOnlyAllowedOnesMayBeAsked()
    {
        var t = Allowed(StandardPolicy.Evaluate(Alice("deploy"), User(), Now)).Template;
        Assert.Equal(["deploy"], t.Principals);
        Assert.Equal("/usr/local/bin/deploy", t.CriticalOptions.Find("force-command")!.GetStringValue());
        Assert.Equal("10.1.0.0/16", t.CriticalOptions.Find("source-address")!.GetStringValue());

        var check = new Dictionary<string, string?>(StringComparer.Ordinal) { ["force-command"] = "/usr/local/bin/deploy --check", ["source-address"] = "10.9.0.0/16,10.1.2.3" };
        var narrowed = Allowed(StandardPolicy.Evaluate(Alice("deploy"), User(critical: check), Now)).Template;
        Assert.Equal("/usr/local/bin/deploy --check", narrowed.CriticalOptions.Find("force-command")!.GetStringValue());
        Assert.Equal("10.9.0.0/16,10.1.2.3", narrowed.CriticalOptions.Find("source-address")!.GetStringValue());

        var shell = new Dictionary<string, string?>(StringComparer.Ordinal) { ["force-command"] = "/bin/bash", ["source-address"] = "192.168.0.0/16" };
        var reasons = Denied(StandardPolicy.Evaluate(Alice("deploy"), User(critical: shell), Now)).Reasons;
        Assert.Equal(["critical_options.force-command", "critical_options.source-address"], reasons.Select(r => r.Field).Order(StringComparer.Ordinal));
        Assert.All(reasons, r => Assert.Equal(ReasonCodes.CriticalOptionNotAllowed, r.Code));

        var malformed = new Dictionary<string, string?>(StringComparer.Ordinal) { ["source-address"] = "10.0.0.1/8" };
        Assert.Equal(ReasonCodes.Invalid, Assert.Single(Denied(StandardPolicy.Evaluate(Alice("deploy"), User(critical: malformed), Now)).Reasons).Code);
    }

    [Fact]
    public void AnEngineerWhoDeploysIsUnionedNotRestrictedByTheDeployRole()
    {
        // Union: the engineers role has no forced command, so none is forced; principals combine.
        var t = Allowed(StandardPolicy.Evaluate(Alice("eng", "deploy"), User(), Now)).Template;
        Assert.Equal(["alice", "deploy", "eng"], t.Principals);
        Assert.Empty(t.CriticalOptions);
        Assert.Equal(8 * 3600UL, t.ValidBefore - (ulong)Now.ToUnixTimeSeconds());
    }

    [Fact]
    public void UnknownCriticalOptionsAreDenied()
    {
        var unknown = new Dictionary<string, string?>(StringComparer.Ordinal) { ["trace@example.com"] = null };
        var reason = Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(critical: unknown), Now)).Reasons);
        Assert.Equal((ReasonCodes.CriticalOptionNotAllowed, "critical_options.trace@example.com"), (reason.Code, reason.Field));

        var notCustom = new Dictionary<string, string?>(StringComparer.Ordinal) { ["no-pty"] = null };
        Assert.Equal(ReasonCodes.CriticalOptionNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(critical: notCustom), Now)).Reasons).Code);
    }

    [Fact]
    public void NamedCustomCriticalOptionsPassWithTheirAllowedValues()
    {
        var ok = new Dictionary<string, string?>(StringComparer.Ordinal) { ["trace@example.com"] = null, ["ticket@example.com"] = "CHG-2" };
        var t = Allowed(StandardPolicy.Evaluate(Operator, User(SkEd25519, critical: ok), Now)).Template;
        Assert.Equal(["ticket@example.com", "trace@example.com", "verify-required"], t.CriticalOptions.Select(o => o.Name));

        var badValue = new Dictionary<string, string?>(StringComparer.Ordinal) { ["ticket@example.com"] = "CHG-9" };
        Assert.Equal(ReasonCodes.CriticalOptionNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Operator, User(SkEd25519, critical: badValue), Now)).Reasons).Code);
    }

    [Fact]
    public void SubjectKeyRules()
    {
        Assert.Equal(ReasonCodes.KeyNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Alice("eng"), User(Rsa2048), Now)).Reasons).Code);
        Assert.True(StandardPolicy.Evaluate(Alice("eng"), User(Rsa3072), Now).IsAllowed);
        var needsSk = Assert.Single(Denied(StandardPolicy.Evaluate(Operator, User(Ed25519), Now)).Reasons);
        Assert.Contains("security key", needsSk.Message, StringComparison.Ordinal);
        Assert.Equal(["ops", "root"], Allowed(StandardPolicy.Evaluate(Operator, User(SkEd25519), Now)).Template.Principals);
    }

    [Fact]
    public void NoMatchingRoleIsDeniedWithAReason()
    {
        var stranger = Alice("eng") with { Issuer = "https://evil.example.net" };
        var deny = Denied(StandardPolicy.Evaluate(stranger, User(), Now));
        Assert.Equal(ReasonCodes.NoRole, Assert.Single(deny.Reasons).Code);
        Assert.Empty(deny.MatchedRoles);
    }

    [Fact]
    public void EveryReasonIsReportedTogether()
    {
        var request = User(principals: ["root"], validity: TimeSpan.FromDays(2),
            critical: new(StringComparer.Ordinal) { ["x@y"] = null }, extensions: new(StringComparer.Ordinal) { ["permit-user-rc"] = null });
        var codes = Denied(StandardPolicy.Evaluate(Alice("eng"), request, Now)).Reasons.Select(r => r.Code).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(new HashSet<string>(StringComparer.Ordinal) { ReasonCodes.PrincipalNotAllowed, ReasonCodes.ValidityNotAllowed, ReasonCodes.CriticalOptionNotAllowed, ReasonCodes.ExtensionNotAllowed }, codes);
    }

    [Fact]
    public void ExplainSaysWhichRolesMatchedAndWhy()
    {
        var explanation = StandardPolicy.Explain(Alice("eng"), User(), Now);
        Assert.True(explanation.Decision.IsAllowed);
        var engineers = explanation.Roles.Single(r => r.Role == "engineers");
        Assert.True(engineers.Matched && engineers.Applied);
        Assert.Contains("alice", engineers.Why, StringComparison.Ordinal);
        var deployers = explanation.Roles.Single(r => r.Role == "deployers");
        Assert.False(deployers.Matched);
        Assert.Contains("deploy", deployers.Why, StringComparison.Ordinal);
        var hosts = explanation.Roles.Single(r => r.Role == "hosts");
        Assert.False(hosts.Matched);
        Assert.Contains("not a bootstrap-token caller", hosts.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void ARenewalIsEvaluatedExactlyLikeANewRequest()
    {
        var fresh = StandardPolicy.Evaluate(Alice("eng"), User(), Now);
        var renewal = StandardPolicy.Evaluate(Alice("eng"), User() with { IsRenewal = true }, Now);
        AssertSameTemplate(Allowed(fresh).Template, Allowed(renewal).Template);
        Assert.False(StandardPolicy.Evaluate(Alice("eng"), User(validity: TimeSpan.FromDays(1)) with { IsRenewal = true }, Now).IsAllowed);
    }
}
