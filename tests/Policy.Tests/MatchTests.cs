using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

public class MatchTests
{
    private static SshPolicy Single(string match) => SshPolicy.Load($$"""{ "roles": [ { "name": "r", "match": [ {{match}} ], "user": { "principals": ["x"] } } ] }""");

    private static CallerIdentity Tls(string subject, params string[] sans) => new()
    {
        Method = AuthMethod.MutualTls,
        Name = subject,
        TlsSubject = subject,
        TlsSubjectAlternativeNames = sans,
    };

    [Theory]
    [InlineData("CN=build-01,O=Example", true)]
    [InlineData("CN=build-01,O=Evil", false)]
    [InlineData("CN=deploy-01,O=Example", false)]
    public void MtlsSubjectPatterns(string subject, bool matches) =>
        Assert.Equal(matches, Single("""{ "mtls": { "subjects": ["CN=build-*,O=Example"] } }""").Evaluate(Tls(subject), User(), Now).IsAllowed);

    [Fact]
    public void MtlsSanPatternsAndBothConditionsTogether()
    {
        var policy = Single("""{ "mtls": { "subjects": ["CN=*"], "sans": ["*.ci.example.com"] } }""");
        Assert.True(policy.Evaluate(Tls("CN=a", "runner1.ci.example.com"), User(), Now).IsAllowed);
        Assert.False(policy.Evaluate(Tls("CN=a", "runner1.example.com"), User(), Now).IsAllowed);
        Assert.False(policy.Evaluate(Tls("O=a", "runner1.ci.example.com"), User(), Now).IsAllowed);
    }

    [Fact]
    public void UnixUidGidUserAndGroupConditions()
    {
        Assert.True(Single("""{ "unix": { "uids": [1001] } }""").Evaluate(Operator, User(), Now).IsAllowed);
        Assert.True(Single("""{ "unix": { "gids": [990] } }""").Evaluate(Operator, User(), Now).IsAllowed);
        Assert.False(Single("""{ "unix": { "uids": [0] } }""").Evaluate(Operator, User(), Now).IsAllowed);
        Assert.False(Single("""{ "unix": { "users": ["ops"], "groups": ["wheel"] } }""").Evaluate(Operator, User(), Now).IsAllowed);
        Assert.False(Single("""{ "unix": { "users": ["ops"] } }""").Evaluate(Alice("eng"), User(), Now).IsAllowed);
    }

    [Fact]
    public void OidcIssuerEmailDomainVerificationAndClaims()
    {
        var policy = Single("""{ "oidc": { "issuer": "https://sso.example.com", "emailDomains": ["example.com"], "claims": { "preferred_username": ["alice", "bob"] } } }""");
        Assert.True(policy.Evaluate(Alice(), User(), Now).IsAllowed);
        Assert.False(policy.Evaluate(Alice() with { Issuer = "https://sso.example.com/" }, User(), Now).IsAllowed);
        var unverified = Alice() with { Claims = new Dictionary<string, IReadOnlyList<string>>(Alice().Claims, StringComparer.Ordinal) { ["email_verified"] = ["false"] } };
        Assert.False(policy.Evaluate(unverified, User(), Now).IsAllowed);
        var otherDomain = Alice() with { Claims = new Dictionary<string, IReadOnlyList<string>>(Alice().Claims, StringComparer.Ordinal) { ["email"] = ["alice@example.com.evil.net"] } };
        Assert.False(policy.Evaluate(otherDomain, User(), Now).IsAllowed);
        var otherUser = Alice() with { Claims = new Dictionary<string, IReadOnlyList<string>>(Alice().Claims, StringComparer.Ordinal) { ["preferred_username"] = ["mallory"] } };
        Assert.False(policy.Evaluate(otherUser, User(), Now).IsAllowed);
    }

    [Fact]
    public void ClaimTemplatesGiveOnePrincipalPerValue()
    {
        var policy = SshPolicy.Load("""{ "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["u-{claim:preferred_username}", "{claim:roles}"] } } ] }""");
        var caller = Alice() with { Claims = new Dictionary<string, IReadOnlyList<string>>(Alice().Claims, StringComparer.Ordinal) { ["roles"] = ["dba", "web"] } };
        Assert.Equal(["dba", "u-alice", "web"], Allowed(policy.Evaluate(caller, User(), Now)).Template.Principals);
    }
}
