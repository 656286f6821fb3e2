using SshHsmCa.Ssh.Certificates;
using static SshHsmCa.Policy.Tests.Fixtures;

namespace SshHsmCa.Policy.Tests;

/// <summary>
/// Issue 29: a role that requires attestation issues only for security keys whose enrollment was
/// verified, of an allowed model, with user verification and without backup when it says so; an
/// attested UV puts verify-required into the certificate. The attestation comes from the
/// pipeline's records (CertificateRequest.Attestation), never from the client.
/// </summary>
public sealed class AttestationPolicyTests
{
    private static readonly Guid Model = new("cb69481e-8ff7-4039-93ec-0a2729a154a8");

    private static readonly SshPolicy Policy = SshPolicy.Load($$"""
        {
          "roles": [
            {
              "name": "hardware",
              "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ],
              "user": {
                "principals": ["{email.local}"],
                "validity": { "default": "8h", "max": "8h" },
                "keys": { "requireAttestation": true, "aaguids": ["{{Model}}"], "requireUserVerification": true }
              }
            }
          ]
        }
        """);

    [Fact]
    public void AnAttestedVerifiedKeyOfAnAllowedModelGetsACertificateWithVerifyRequired()
    {
        var allow = Allowed(Policy.Evaluate(Alice(), User(SkEd25519) with { Attestation = new KeyAttestation(Model, true, false) }, Now));
        Assert.True(allow.Template.CriticalOptions.Contains(SshCriticalOptions.VerifyRequiredName));
        Assert.Equal(["alice"], allow.Template.Principals);
    }

    [Theory]
    [InlineData("software", "security key")]
    [InlineData("not-enrolled", "not an enrolled security key")]
    [InlineData("other-model", "is not one of the allowed AAGUIDs")]
    [InlineData("no-uv", "did not verify the user")]
    [InlineData("backup", "backed up or synced")]
    public void EveryShortfallIsDeniedWithItsReason(string what, string reason)
    {
        var request = what switch
        {
            "software" => User(Ed25519) with { Attestation = new KeyAttestation(Model, true, false) },
            "not-enrolled" => User(SkEd25519),
            "other-model" => User(SkEd25519) with { Attestation = new KeyAttestation(Guid.NewGuid(), true, false) },
            "no-uv" => User(SkEd25519) with { Attestation = new KeyAttestation(Model, false, false) },
            "backup" => User(SkEd25519) with { Attestation = new KeyAttestation(Model, true, true) },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var deny = Assert.IsType<Deny>(Policy.Evaluate(Alice(), request, Now));
        var only = Assert.Single(deny.Reasons);
        Assert.Equal("public_key", only.Field);
        Assert.Contains(reason, only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAttestedUvPutsVerifyRequiredInEvenWhereTheRoleDoesNotAskForIt()
    {
        var relaxed = SshPolicy.Load("""
            { "roles": [ { "name": "any", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ],
              "user": { "principals": ["{email.local}"], "validity": { "default": "1h", "max": "1h" } } } ] }
            """);
        Assert.True(Allowed(relaxed.Evaluate(Alice(), User(SkEd25519) with { Attestation = new KeyAttestation(Model, true, false) }, Now)).Template.CriticalOptions.Contains(SshCriticalOptions.VerifyRequiredName));
        Assert.False(Allowed(relaxed.Evaluate(Alice(), User(SkEd25519), Now)).Template.CriticalOptions.Contains(SshCriticalOptions.VerifyRequiredName));
    }

    [Theory]
    [InlineData("""{ "requireAttestation": true, "aaguids": ["not-a-guid"] }""", "$.roles[0].user.keys.aaguids[0]")]
    [InlineData("""{ "requireUserVerification": true }""", "$.roles[0].user.keys.requireAttestation")]
    [InlineData("""{ "requireAttestation": true, "securityKeys": "forbidden" }""", "$.roles[0].user.keys.requireAttestation")]
    public void ContradictoryOrMalformedRulesAreRefusedAtLoadWithTheirPath(string keys, string path)
    {
        var json = $$"""
            { "roles": [ { "name": "r", "match": [ { "oidc": { "issuer": "https://sso.example.com" } } ],
              "user": { "principals": ["x"], "keys": {{keys}} } } ] }
            """;
        var e = Assert.Throws<PolicyLoadException>(() => SshPolicy.Load(json));
        Assert.Contains(e.Errors, error => error.Path == path);
    }
}
