namespace SshHsmCa.Policy.Tests;

public class PolicyLoaderTests
{
    private static PolicyLoadException Refused(string json) => Assert.Throws<PolicyLoadException>(() => SshPolicy.Load(json));

    [Fact]
    public void TheStandardPolicyLoads() => Assert.Equal(["engineers", "deployers", "operators", "hosts"], Fixtures.StandardPolicy.RoleNames);

    [Theory]
    [InlineData("""{ "roles": [] }""", "$.roles")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "validity": { "max": "eight hours" } } } ] }""", "$.roles[0].user.validity.max")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "validity": { "default": "2d", "max": "1d" } } } ] }""", "$.roles[0].user.validity.default")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [], "user": { "principals": ["x"] } } ] }""", "$.roles[0].match")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" }, "unix": { "uids": [0] } } ], "user": { "principals": ["x"] } } ] }""", "$.roles[0].match[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["{email.domain}"] } } ] }""", "$.roles[0].user.principals[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["bad name"] } } ] }""", "$.roles[0].user.principals[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "sourceAddress": { "allowed": ["10.0.0.1/8"] } } } ] }""", "$.roles[0].user.sourceAddress.allowed[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "extensions": { "allowed": ["permit-pty"], "default": ["permit-user-rc"] } } } ] }""", "$.roles[0].user.extensions.default")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "keys": { "types": ["ssh-dss"] } } } ] }""", "$.roles[0].user.keys.types")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i" } } ], "user": { "principals": ["x"], "customCriticalOptions": { "force-command": [] } } } ] }""", "$.roles[0].user.customCriticalOptions.force-command")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": ["*.com"] } } ] }""", "$.roles[0].host.names[0]")]
    [InlineData("""{ "keyIdFormat": "{who}", "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": ["a.example.com"] } } ] }""", "$.keyIdFormat")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ] } ] }""", "$.roles[0]")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": ["a.example.com"], "keyIdFormat": "{host}" } } ] }""", "$.roles[0].host.keyIdFormat")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "mtls": {} } ], "user": { "principals": ["x"] } } ] }""", "$.roles[0].match[0].mtls")]
    [InlineData("""{ "roles": [ { "name": "a", "match": [ { "oidc": { "issuer": "i", "groups": [] } } ], "user": { "principals": ["x"] } } ] }""", "$.roles[0].match[0].oidc.groups")]
    public void RefusesTheWholePolicyNamingThePath(string json, string path)
    {
        var e = Refused(json);
        Assert.Contains(e.Errors, error => error.Path == path);
    }

    [Fact]
    public void AMemberGivenTwiceIsRefused()
    {
        var e = Refused("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": ["a.example.com"], "names": ["*.example.com"] } } ] }""");
        Assert.Contains("names", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownMembersAndMalformedJsonAreRefusedWithAPath()
    {
        var unknown = Refused("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": ["a.example.com"], "validty": {} } } ] }""");
        Assert.Contains("validty", unknown.Message, StringComparison.Ordinal);
        var malformed = Refused("""{ "roles": [ { "name": "a", """);
        Assert.StartsWith("$", malformed.Errors[0].Path, StringComparison.Ordinal);
    }

    /// <summary>Issue 26: an unknown member is named by its path with the members that exist there, never by .NET type names.</summary>
    [Fact]
    public void AnUnknownMemberIsNamedWithItsPathAndTheMembersThatExist()
    {
        var e = Refused("""{ "roles": [ { "name": "a", "match": [ { "oidc": {} } ], "user": { "principalz": ["alice"] } } ] }""");
        var error = Assert.Single(e.Errors);
        Assert.Equal("$.roles[0].user.principalz", error.Path);
        Assert.Contains("unknown member 'principalz' at $.roles[0].user", error.Problem, StringComparison.Ordinal);
        Assert.Contains("principals", error.Problem, StringComparison.Ordinal);
        Assert.Contains("validity", error.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SshHsmCa.", e.Message, StringComparison.Ordinal);

        var nested = Refused("""{ "roles": [ { "name": "a", "match": [ { "bootstrap": true, "mtlz": 1 } ], "host": { "names": ["a.example.com"] } } ] }""");
        Assert.Equal("$.roles[0].match[0].mtlz", Assert.Single(nested.Errors).Path);
    }

    [Fact]
    public void EveryProblemIsReportedNotJustTheFirst()
    {
        var e = Refused("""{ "roles": [ { "name": "a", "match": [], "user": { "principals": ["bad name"], "validity": { "max": "x" } } }, { "name": "a", "match": [ { "bootstrap": true } ], "host": { "names": [] } } ] }""");
        Assert.True(e.Errors.Count >= 5, string.Join("\n", e.Errors));
        Assert.Contains(e.Errors, error => error.Path == "$.roles[1].name" && error.Problem.Contains("twice", StringComparison.Ordinal));
    }
}
