using System.Security.Cryptography;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.SecurityKeys;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 29: the attestation verifier, judged on files that OpenSSH's own ssh-keygen wrote through
/// a security-key provider (the test authenticator: a software key, a packed or fido-u2f attestation
/// under a test root with an AAGUID extension). Genuine enrollments of both key types pass with
/// what they prove; each way an attestation can fail to prove that the key lives in a trusted
/// model of security key is refused with its own reason.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
public sealed class SecurityKeyAttestationTests : IDisposable
{
    private readonly TestAuthenticator _authenticator = new();
    private readonly byte[] _challenge = RandomNumberGenerator.GetBytes(32);

    public void Dispose() => _authenticator.Dispose();

    [Theory]
    [InlineData("ecdsa-sk", false)]
    [InlineData("ed25519-sk", false)]
    [InlineData("ecdsa-sk", true)]
    [InlineData("ed25519-sk", true)]
    public void AGenuineEnrollmentProvesTheModelAndWhetherTheUserWasVerified(string type, bool verifyRequired)
    {
        var (key, attestation) = _authenticator.Enroll(type, _challenge, verifyRequired);
        var attested = Verify(key, attestation, _challenge, Policy() with { RequireUserVerification = verifyRequired, AllowedAaguids = new HashSet<Guid> { TestAuthenticator.Model } });
        Assert.Equal(TestAuthenticator.Model, attested.Aaguid);
        Assert.Equal(verifyRequired, attested.UserVerified);
        Assert.Equal("packed", attested.Format);
        Assert.Contains("Test Authenticator Attestation", attested.CertificateSubject, StringComparison.Ordinal);
        Assert.Equal(_authenticator.Root.Subject, attested.RootSubject);

        // The independent cross-check: libfido2 verifies the same statement.
        var fido2 = TestAuthenticator.Fido2CredVerify(attestation, _challenge, "ssh:", type == "ed25519-sk", "packed");
        Assert.True(fido2.ExitCode == 0, "fido2-cred -V: " + fido2.Output);
        Assert.False(TestAuthenticator.Fido2CredVerify(attestation, [.. _challenge, 1], "ssh:", type == "ed25519-sk", "packed").ExitCode == 0, "fido2-cred -V accepted another challenge");
    }

    [Fact]
    public void AFidoU2fStatementVerifiesToo()
    {
        _authenticator.Environment["SK_TEST_FORMAT"] = "fido-u2f";
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Assert.Equal("fido-u2f", Verify(key, attestation, _challenge, Policy()).Format);
        var fido2 = TestAuthenticator.Fido2CredVerify(attestation, _challenge, "ssh:", false, "fido-u2f");
        Assert.True(fido2.ExitCode == 0, "fido2-cred -V: " + fido2.Output);
    }

    [Fact]
    public void AnAttestationUnderAnotherRootIsRefused()
    {
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        using var other = new TestAuthenticator();
        Refused(AttestationRefusal.UntrustedRoot, key, attestation, _challenge, Policy() with { Roots = [other.Root], Intermediates = [other.Intermediate] });
        // Without the intermediate, the leaf does not reach the pinned root either.
        Refused(AttestationRefusal.UntrustedRoot, key, attestation, _challenge, Policy() with { Intermediates = [] });
        Refused(AttestationRefusal.UntrustedRoot, key, attestation, _challenge, Policy() with { Roots = [] });
    }

    [Fact]
    public void ASelfSignedAttestationIsRefused()
    {
        _authenticator.UseAttestation(TestAuthenticator.Model, selfSigned: true);
        var (key, attestation) = _authenticator.Enroll("ed25519-sk", _challenge);
        Refused(AttestationRefusal.UntrustedRoot, key, attestation, _challenge, Policy());
    }

    [Fact]
    public void ANoneAttestationIsRefused()
    {
        // What OpenSSH >= 10.0 writes for a token without attestation: no certificate, no signature.
        _authenticator.Environment.Remove("SK_TEST_ATTESTATION_KEY");
        _authenticator.Environment.Remove("SK_TEST_ATTESTATION_CERT");
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.NoAttestation, key, attestation, _challenge, Policy());
    }

    [Fact]
    public void AForeignModelIsRefusedByTheAllowList()
    {
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.ModelNotAllowed, key, attestation, _challenge, Policy() with { AllowedAaguids = new HashSet<Guid> { Guid.NewGuid() } });
    }

    [Fact]
    public void ACertificateWhoseAaguidDisagreesWithTheAuthenticatorDataIsRefused()
    {
        _authenticator.UseAttestation(TestAuthenticator.Model, authenticatorModel: Guid.NewGuid());
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.BadCertificate, key, attestation, _challenge, Policy());
    }

    [Fact]
    public void AnAttestationCertificateThatIsACaIsRefused()
    {
        _authenticator.UseAttestation(TestAuthenticator.Model, ca: true);
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.BadCertificate, key, attestation, _challenge, Policy());
    }

    [Fact]
    public void AnotherChallengeIsRefused()
    {
        var (key, attestation) = _authenticator.Enroll("ed25519-sk", _challenge);
        Refused(AttestationRefusal.BadSignature, key, attestation, RandomNumberGenerator.GetBytes(32), Policy());
    }

    [Fact]
    public void AnAttestedKeyOtherThanTheSubmittedOneIsRefused()
    {
        _authenticator.Environment["SK_TEST_ATTEST_OTHER_KEY"] = "1";
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.KeyMismatch, key, attestation, _challenge, Policy());

        // And a genuine attestation offered for another security key.
        _authenticator.Environment.Remove("SK_TEST_ATTEST_OTHER_KEY");
        var (_, genuine) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.KeyMismatch, key, genuine, _challenge, Policy());
    }

    [Fact]
    public void AKeyForAnotherApplicationIsRefused()
    {
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge, application: "ssh:other");
        var submitted = (SkEcdsaPublicKey)PublicKey(key);
        Refused(AttestationRefusal.WrongApplication, SkEcdsaPublicKey.Create(submitted.Q.Span, "ssh:"), attestation, _challenge, Policy());
        Assert.Equal(TestAuthenticator.Model, AttestationVerifier.Verify(submitted, attestation, _challenge, Policy()).Aaguid);
    }

    [Fact]
    public void UserVerificationMissingWherePolicyRequiresItIsRefused()
    {
        _authenticator.Environment["SK_TEST_NO_UV"] = "1";
        var (key, attestation) = _authenticator.Enroll("ed25519-sk", _challenge, verifyRequired: true);
        Refused(AttestationRefusal.UserNotVerified, key, attestation, _challenge, Policy() with { RequireUserVerification = true });
        Assert.False(Verify(key, attestation, _challenge, Policy()).UserVerified);
    }

    [Fact]
    public void ABackupEligibleCredentialIsRefusedUnlessPolicyAllowsIt()
    {
        _authenticator.Environment["SK_TEST_EXTRA_FLAGS"] = "8";
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        Refused(AttestationRefusal.BackupNotAllowed, key, attestation, _challenge, Policy());
        Assert.Equal(TestAuthenticator.Model, Verify(key, attestation, _challenge, Policy() with { AllowBackup = true }).Aaguid);
    }

    [Fact]
    public void APlainSoftwareKeyCannotBeAttested()
    {
        var (_, attestation) = _authenticator.Enroll("ed25519-sk", _challenge);
        var software = SshPublicKey.ParseLine("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKm5Ild3gjwUqIi9VhxRQzBSl7e2y4rTH6a4YfjR6IT3 software");
        var refusal = Assert.Throws<AttestationRefusedException>(() => AttestationVerifier.Verify(software, attestation, _challenge, Policy()));
        Assert.Equal(AttestationRefusal.NotASecurityKey, refusal.Reason);
    }

    [Fact]
    public void TheOldFormatAndTrailingBytesAreRefused()
    {
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", _challenge);
        var parsed = SkAttestation.Parse(attestation);

        // v00: the same certificate and signature without the authenticator data that binds the key.
        var v00 = new SshWriter();
        v00.WriteString(SkAttestation.V00);
        v00.WriteString(parsed.Certificate.Span);
        v00.WriteString(parsed.Signature.Span);
        v00.WriteUInt32(0);
        v00.WriteString(ReadOnlySpan<byte>.Empty);
        var old = Refused(AttestationRefusal.Malformed, key, v00.ToArray(), _challenge, Policy());
        Assert.Contains("v00", old.Message, StringComparison.Ordinal);

        var trailing = Refused(AttestationRefusal.Malformed, key, [.. attestation, 0], _challenge, Policy());
        Assert.Contains("attestation", trailing.Message, StringComparison.Ordinal);
        Refused(AttestationRefusal.Malformed, key, attestation[..^1], _challenge, Policy());
    }

    private AttestationPolicy Policy() => new()
    {
        Roots = [_authenticator.Root],
        Intermediates = [_authenticator.Intermediate],
        Now = DateTimeOffset.UtcNow,
    };

    private static SshPublicKey PublicKey(string key) => SshPublicKey.ParseLine(File.ReadAllText(key + ".pub"));

    private static AttestedKey Verify(string key, byte[] attestation, byte[] challenge, AttestationPolicy policy) =>
        AttestationVerifier.Verify(PublicKey(key), attestation, challenge, policy);

    private static AttestationRefusedException Refused(AttestationRefusal reason, string key, byte[] attestation, byte[] challenge, AttestationPolicy policy) =>
        Refused(reason, PublicKey(key), attestation, challenge, policy);

    private static AttestationRefusedException Refused(AttestationRefusal reason, SshPublicKey key, byte[] attestation, byte[] challenge, AttestationPolicy policy)
    {
        var refusal = Assert.Throws<AttestationRefusedException>(() => AttestationVerifier.Verify(key, attestation, challenge, policy));
        Assert.True(reason == refusal.Reason, $"expected {reason}, got {refusal.Reason}: {refusal.Message}");
        return refusal;
    }
}
