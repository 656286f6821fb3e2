using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

/// <summary>
/// Issue 30: a role's agent section becomes the hops of the destination constraint login sets.
/// Restricted when any applicable role restricts, to the union of their hops; the unrestricted
/// fallback only when every restricting role allows it; literal host names only.
/// </summary>
public sealed class AgentPolicyTests
{
    private static SshPolicy Load(string first, string? second = null) => SshPolicy.Load($$"""
        { "roles": [
            { "name": "one", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ],
              "user": { "principals": ["{email.local}"] {{(first.Length == 0 ? "" : ", \"agent\": " + first)}} } }
            {{(second is null ? "" : $$""", { "name": "two", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ], "user": { "principals": ["{email.local}"], "agent": {{second}} } }""")}}
        ] }
        """);

    [Fact]
    public void WithoutAnAgentSectionTheKeyIsUnrestricted() =>
        Assert.Null(Allowed(Load("").Evaluate(Alice(), User(), Now)).Agent);

    [Fact]
    public void TheHopsAreThoseTheRoleNames()
    {
        var agent = Allowed(Load("""{ "restrictDestinations": true, "hosts": ["bastion.example.com"], "via": [ { "from": "bastion.example.com", "to": ["db1.internal", "db2.internal"] } ] }""").Evaluate(Alice(), User(), Now)).Agent;
        Assert.NotNull(agent);
        Assert.Equal([new AgentHop("", "bastion.example.com"), new AgentHop("bastion.example.com", "db1.internal"), new AgentHop("bastion.example.com", "db2.internal")], agent.Hops);
        Assert.False(agent.AllowUnrestricted);
    }

    [Fact]
    public void TwoRolesRestrictToTheUnionAndFallBackOnlyIfBothAllowIt()
    {
        var agent = Allowed(Load("""{ "restrictDestinations": true, "hosts": ["a.example"], "allowUnrestricted": true }""", """{ "restrictDestinations": true, "hosts": ["b.example"] }""").Evaluate(Alice(), User(), Now)).Agent!;
        Assert.Equal(["a.example", "b.example"], agent.Hops.Select(h => h.To));
        Assert.False(agent.AllowUnrestricted);
        Assert.NotNull(Allowed(Load("""{ "restrictDestinations": true, "hosts": ["a.example"] }""", """{ "restrictDestinations": false }""").Evaluate(Alice(), User(), Now)).Agent);
    }

    [Theory]
    [InlineData("""{ "restrictDestinations": true, "hosts": ["*.prod.example"] }""", "$.roles[0].user.agent.hosts[0]")]
    [InlineData("""{ "restrictDestinations": true }""", "$.roles[0].user.agent.hosts")]
    [InlineData("""{ "hosts": ["a.example"] }""", "$.roles[0].user.agent.restrictDestinations")]
    [InlineData("""{ "restrictDestinations": true, "via": [ { "from": "a.example" } ] }""", "$.roles[0].user.agent.via[0].to")]
    [InlineData("""{ "restrictDestinations": true, "via": [ { "to": ["b.example"] } ] }""", "$.roles[0].user.agent.via[0].from")]
    public void WhatSshAgentCouldNotEnforceIsRefusedAtLoad(string agent, string path)
    {
        var e = Assert.Throws<PolicyLoadException>(() => Load(agent));
        Assert.Contains(e.Errors, error => error.Path == path);
    }
}
