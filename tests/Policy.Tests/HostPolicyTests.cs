using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

public class HostPolicyTests
{
    [Fact]
    public void BootstrapTokenCertifiesItsBoundNamesForThirtyDays()
    {
        var t = Allowed(StandardPolicy.Evaluate(Bootstrap("web01.internal.example.com"), Host([]), Now)).Template;
        Assert.Equal(["web01.internal.example.com"], t.Principals);
        Assert.Equal((ulong)Now.ToUnixTimeSeconds() + (30 * 86400), t.ValidBefore);
        Assert.Equal((ulong)Now.ToUnixTimeSeconds() - 300, t.ValidAfter);
        Assert.Empty(t.CriticalOptions);
        Assert.Empty(t.Extensions);
        Assert.Equal("host web01.internal.example.com via token:7f3a", t.KeyId);
    }

    [Fact]
    public void HostRolesWithoutTheirOwnFormatUseThePolicys() =>
        Assert.Equal("ops via unix-socket [bastion.example.com] req-2", Allowed(StandardPolicy.Evaluate(Operator, Host(["bastion.example.com"]), Now)).Template.KeyId);

    [Fact]
    public void ABootstrapTokenCannotCertifyNamesItIsNotBoundTo()
    {
        var reason = Assert.Single(Denied(StandardPolicy.Evaluate(Bootstrap("web01.internal.example.com"), Host(["db01.internal.example.com"]), Now)).Reasons);
        Assert.Equal(ReasonCodes.PrincipalNotAllowed, reason.Code);
        Assert.Contains("bound", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostNamesMustMatchAnAllowedNameOrSuffixPattern()
    {
        Assert.True(StandardPolicy.Evaluate(Operator, Host(["a.b.internal.example.com", "bastion.example.com"]), Now).IsAllowed);
        var reasons = Denied(StandardPolicy.Evaluate(Operator, Host(["internal.example.com", "evil.example.com", "Bastion.example.com"]), Now)).Reasons;
        Assert.Equal(3, reasons.Count);
        Assert.All(reasons, r => Assert.Equal(ReasonCodes.PrincipalNotAllowed, r.Code));
    }

    [Fact]
    public void WildcardAndIpPrincipalsOnlyWhereARoleAllowsThem()
    {
        Assert.True(StandardPolicy.Evaluate(Operator, Host(["*.internal.example.com", "10.1.2.3"]), Now).IsAllowed);
        Assert.False(StandardPolicy.Evaluate(Operator, Host(["192.168.1.1"]), Now).IsAllowed);
        Assert.False(StandardPolicy.Evaluate(Operator, Host(["*.example.com"]), Now).IsAllowed);
        Assert.False(StandardPolicy.Evaluate(Bootstrap("*.internal.example.com"), Host(["*.internal.example.com"]), Now).IsAllowed);
    }

    [Fact]
    public void HostCertificatesNeverCarryCriticalOptionsOrExtensions()
    {
        var critical = new Dictionary<string, string?>(StringComparer.Ordinal) { ["force-command"] = "/bin/true" };
        Assert.Equal(ReasonCodes.CriticalOptionNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Operator, Host(["bastion.example.com"], critical: critical), Now)).Reasons).Code);
        var extensions = Host(["bastion.example.com"]) with { Extensions = new Dictionary<string, string?>(StringComparer.Ordinal) { ["permit-pty"] = null } };
        Assert.Equal(ReasonCodes.ExtensionNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Operator, extensions, Now)).Reasons).Code);
    }

    [Fact]
    public void HostKeyTypesFollowTheRole()
    {
        Assert.Equal(ReasonCodes.KeyNotAllowed, Assert.Single(Denied(StandardPolicy.Evaluate(Bootstrap("web01.internal.example.com"), Host([], Rsa3072), Now)).Reasons).Code);
    }

    [Fact]
    public void AUserOnlyCallerGetsNoHostCertificate()
    {
        var deny = Denied(StandardPolicy.Evaluate(Alice("eng"), Host(["web01.internal.example.com"]), Now));
        Assert.Equal(ReasonCodes.NoRole, Assert.Single(deny.Reasons).Code);
        Assert.Equal(["engineers"], deny.MatchedRoles);
    }

    [Fact]
    public void AHostRequestNamingNoHostIsDenied() =>
        Assert.Equal(ReasonCodes.NoPrincipals, Assert.Single(Denied(StandardPolicy.Evaluate(Operator, Host([]), Now)).Reasons).Code);
}
