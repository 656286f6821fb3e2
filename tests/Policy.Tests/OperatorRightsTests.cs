using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

public class OperatorRightsTests
{
    private static readonly SshPolicy Policy = SshPolicy.Load("""
        {
          "roles": [
            { "name": "admins", "match": [ { "unix": { "uids": [0] } } ], "operator": ["tokens", "audit", "batch", "ceremony", "revoke", "rotate"] },
            { "name": "auditors", "match": [ { "unix": { "groups": ["sshca"] } }, { "mtls": { "subjects": ["CN=auditor"] } } ], "operator": ["audit"] },
            { "name": "engineers", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["{claim:preferred_username}"] } },
            { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ], "host": { "names": ["*.example.com"] } }
          ]
        }
        """);

    public static TheoryData<OperatorRight> EveryRight => [.. Enum.GetValues<OperatorRight>()];

    private static readonly CallerIdentity Root = Operator with { Name = "root", Uid = 0, Gids = [0], UserName = "root", GroupNames = ["root"] };

    private static readonly CallerIdentity Nobody = Operator with { Name = "nobody", Uid = 65534, Gids = [65534], UserName = "nobody", GroupNames = ["nogroup"] };

    [Theory]
    [MemberData(nameof(EveryRight))]
    public void ARoleThatNamesARightGrantsIt(OperatorRight right)
    {
        var decision = Policy.Authorize(Root, right);
        Assert.True(decision.IsAllowed);
        Assert.Equal(["admins"], decision.GrantedBy);
    }

    [Theory]
    [MemberData(nameof(EveryRight))]
    public void ASocketPeerThatNoRoleMatchesMayDoNothing(OperatorRight right)
    {
        var decision = Policy.Authorize(Nobody, right);
        Assert.False(decision.IsAllowed);
        Assert.Equal(ReasonCodes.PermissionNotGranted, decision.Refusal!.Code);
        Assert.Contains("no role matches nobody", decision.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMatchingRoleGrantsOnlyWhatItNames()
    {
        Assert.True(Policy.Authorize(Operator, OperatorRight.Audit).IsAllowed);
        var tokens = Policy.Authorize(Operator, OperatorRight.Tokens);
        Assert.False(tokens.IsAllowed);
        Assert.Contains("'tokens'", tokens.Refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MutualTlsCallersAreAuthorizedTheSameWay()
    {
        var auditor = new CallerIdentity { Method = AuthMethod.MutualTls, Name = "auditor", TlsSubject = "CN=auditor" };
        Assert.True(Policy.Authorize(auditor, OperatorRight.Audit).IsAllowed);
        Assert.False(Policy.Authorize(auditor, OperatorRight.Revoke).IsAllowed);
        var other = auditor with { Name = "build", TlsSubject = "CN=build" };
        Assert.False(Policy.Authorize(other, OperatorRight.Audit).IsAllowed);
    }

    [Fact]
    public void CertificateRolesGrantNoOperatorRights()
    {
        Assert.False(Policy.Authorize(Alice(), OperatorRight.Audit).IsAllowed);
        Assert.False(Policy.Authorize(Bootstrap("web-01.example.com"), OperatorRight.Tokens).IsAllowed);
    }

    [Theory]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "unix": { "uids": [0] } } ], "operator": ["root"] } ] }""", "$.roles[0].operator[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "unix": { "uids": [0] } } ], "operator": [] } ] }""", "$.roles[0].operator")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "unix": { "uids": [0] } } ], "operator": ["audit", "audit"] } ] }""", "$.roles[0].operator[1]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "operator": ["tokens"] } ] }""", "$.roles[0].operator")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "unix": { "uids": [0] } }, { "hostRenewal": true } ], "operator": ["audit"] } ] }""", "$.roles[0].operator")]
    public void BadOperatorSectionsAreRefusedWithTheirPath(string json, string path)
    {
        var e = Assert.Throws<PolicyLoadException>(() => SshPolicy.Load(json));
        Assert.Contains(e.Errors, error => error.Path == path);
    }

    [Fact]
    public void ARoleMayGrantOnlyOperatorRights() =>
        Assert.Equal(["a"], SshPolicy.Load("""{ "roles": [ { "name": "a", "match": [ { "unix": { "uids": [0] } } ], "operator": ["audit"] } ] }""").RoleNames);
}
