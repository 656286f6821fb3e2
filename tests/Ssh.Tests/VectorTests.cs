using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

/// <summary>The reference vectors of ../shared/vectors, with OpenSSH's verdicts (vectors/README.md).</summary>
public class VectorTests
{
    private const ulong Jan2025 = 0x67748580;
    private const ulong Jan2035 = 0x7a432b80;

    [Fact]
    public void V1_IsRebuiltByteForByteFromItsFields()
    {
        var expected = SshCertificate.ParseLine(Vectors.FirstLine("v1/user_ecdsa256-cert.pub"), out var comment);
        using var ca = TestCaKey.LoadOpenSsh(Vectors.Path("v1/ca_ed25519"));
        var builder = new SshCertificateBuilder
        {
            PublicKey = SshPublicKey.ParseLine(Vectors.FirstLine("v1/user_ecdsa256.pub")),
            SignatureKey = ca.PublicKey,
            Nonce = Convert.FromHexString("13754092b84255becd7ef8794bcab6273c5bf391634b74ea7812263ffff500a2"),
            Serial = 42,
            Fields = new SshCertificateFields
            {
                Type = SshCertificateType.User,
                KeyId = "alice@example.com",
                Principals = ["alice", "admin"],
                ValidAfter = Jan2025,
                ValidBefore = Jan2035,
                CriticalOptions = SshOptionSet.Create(SshOptionKind.Critical, [
                    SshCriticalOptions.SourceAddresses(SourceAddressList.Parse("10.0.0.0/8,192.168.1.1")),
                    SshCriticalOptions.ForceCommand("/usr/bin/id"),
                ]),
                Extensions = SshExtensions.DefaultUser,
            },
        };

        var tbs = builder.EncodeToBeSigned();
        Assert.Equal(0x201, tbs.Length);
        Assert.Equal(expected.ToBeSigned.ToArray(), tbs);
        var certificate = SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs));
        Assert.Equal(expected.Blob.ToArray(), certificate.Blob.ToArray());
        Assert.Equal(Vectors.FirstLine("v1/user_ecdsa256-cert.pub"), certificate.ToOpenSshLine(comment));
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());
    }

    [Fact]
    public void V1_ParsesEveryField()
    {
        var c = SshCertificate.ParseLine(Vectors.FirstLine("v1/user_ecdsa256-cert.pub"), out var comment);
        Assert.Equal("alice-laptop", comment);
        Assert.Equal("ecdsa-sha2-nistp256-cert-v01@openssh.com", c.CertificateType);
        Assert.Equal(32, c.Nonce.Length);
        Assert.Equal(SshPublicKey.ParseLine(Vectors.FirstLine("v1/user_ecdsa256.pub")), c.PublicKey);
        Assert.Equal("SHA256:lac9MeNE1fm+DgwTPuOGEG+LBzM2MYcP8eRQO6isfys", c.PublicKey.GetSha256Fingerprint());
        Assert.Equal(42ul, c.Serial);
        Assert.Equal(SshCertificateType.User, c.Type);
        Assert.Equal("alice@example.com", c.KeyId);
        Assert.Equal(["alice", "admin"], c.Principals);
        Assert.Equal(Jan2025, c.ValidAfter);
        Assert.Equal(Jan2035, c.ValidBefore);
        Assert.Equal("/usr/bin/id", c.CriticalOptions.Find("force-command")!.GetStringValue());
        Assert.Equal("10.0.0.0/8,192.168.1.1", c.CriticalOptions.Find("source-address")!.GetStringValue());
        Assert.Equal(
            ["permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc"],
            c.Extensions.Select(e => e.Name));
        Assert.True(c.Reserved.IsEmpty);
        Assert.Equal("SHA256:vgVgjTdeZ/pMpHK+hLjODDSHVcmEVOgvyWcEibwNwV4", c.SignatureKey.GetSha256Fingerprint());
        Assert.Equal("ssh-ed25519", c.Signature.Algorithm);
        Assert.Equal(0x201, c.ToBeSignedLength);
        Assert.Equal(SignatureVerification.Valid, c.VerifySignature());
        Assert.True(c.IsValidAt(Jan2025));
        Assert.False(c.IsValidAt(Jan2035));
    }

    [Theory]
    [InlineData("rsa-sha2-512")]
    [InlineData("rsa-sha2-256")]
    public void V2_IsRebuiltByteForByteWithTheRsaCa(string algorithm)
    {
        var expected = SshCertificate.ParseLine(Vectors.FirstLine($"v2/host_ed25519-cert.{algorithm}.pub"), out var comment);
        using var ca = TestCaKey.LoadOpenSsh(Vectors.Path("v2/ca_rsa3072"), algorithm);
        var builder = new SshCertificateBuilder
        {
            PublicKey = SshPublicKey.ParseLine(Vectors.FirstLine("v2/host_ed25519.pub")),
            SignatureKey = ca.PublicKey,
            Nonce = expected.Nonce,
            Serial = 1000,
            Fields = new SshCertificateFields
            {
                Type = SshCertificateType.Host,
                KeyId = "host:web01.example.com",
                Principals = ["web01.example.com", "*.internal.example.com"],
                ValidAfter = Jan2025,
                ValidBefore = ulong.MaxValue,
            },
        };

        var tbs = builder.EncodeToBeSigned();
        var certificate = SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs));
        Assert.Equal(expected.Blob.ToArray(), certificate.Blob.ToArray());
        Assert.Equal(Vectors.FirstLine($"v2/host_ed25519-cert.{algorithm}.pub"), certificate.ToOpenSshLine(comment));
        Assert.Equal(algorithm, expected.Signature.Algorithm);
        Assert.Equal(SignatureVerification.Valid, expected.VerifySignature());
        Assert.Equal(384, expected.Signature.Body.Length);
    }

    [Fact]
    public void V2_Sha1TwinParsesButIsNeverAcceptedAsACaSignature()
    {
        var c = SshCertificate.ParseLine(Vectors.FirstLine("v2/host_ed25519-cert.ssh-rsa-sha1.pub"));
        Assert.Equal("ssh-rsa", c.Signature.Algorithm);
        Assert.Equal(SignatureVerification.AlgorithmNotAllowed, c.VerifySignature());
    }

    [Fact]
    public void V2_RsaEncoderRefusesToProduceSha1Signatures() =>
        Assert.Throws<ArgumentException>(() => SshSignatureEncoder.FromRsaPkcs1("ssh-rsa", new byte[384], 384));

    [Fact]
    public void V3_ParsesAndVerifiesTheP384HsmSignature()
    {
        var c = SshCertificate.ParseLine(Vectors.FirstLine("v3/user_ed25519-cert.pub"), out var comment);
        Assert.Equal("bob-workstation", comment);
        Assert.Equal(SignatureVerification.Valid, c.VerifySignature());
        Assert.Equal(SshPublicKey.ParseLine(Vectors.FirstLine("v3/ca_ecdsa384_hsm.pub")), c.SignatureKey);
        Assert.Equal("ecdsa-sha2-nistp384", c.Signature.Algorithm);
        Assert.Equal(["bob"], c.Principals);
        Assert.Equal(7ul, c.Serial);
        Assert.Empty(c.CriticalOptions);
        Assert.Equal(["login@example.com", "permit-agent-forwarding", "permit-pty"], c.Extensions.Select(e => e.Name));
        Assert.Equal("bob", c.Extensions.Find("login@example.com")!.GetStringValue());
    }

    [Fact]
    public void V3_UnknownCriticalTwinParsesWithTheUnknownOptionVisible()
    {
        var c = SshCertificate.ParseLine(Vectors.FirstLine("v3/user_ed25519-cert.unknown-critical.pub"));
        var option = Assert.Single(c.CriticalOptions);
        Assert.Equal("trace@example.com", option.Name);
        Assert.True(option.IsFlag);
        Assert.False(SshCriticalOptions.IsStandard(option.Name));
        Assert.Equal(SignatureVerification.Valid, c.VerifySignature());
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa384")]
    public void V4_CertificatesFromRawHsmOutputParseAndVerify(string kind)
    {
        var c = SshCertificate.ParseLine(Vectors.FirstLine($"v4/user-cert.{kind}.pub"));
        Assert.Equal(SignatureVerification.Valid, c.VerifySignature());
        Assert.Equal(99ul, c.Serial);
        Assert.Equal(["carol"], c.Principals);
        Assert.Equal(Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), c.Nonce.ToArray());
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("ecdsa384")]
    public void V4_EncoderTurnsRawTokenOutputIntoTheLoggedSshSignature(string kind)
    {
        var log = Vectors.ReadText($"v4/sign-log.{kind}.txt").Split('\n');
        var raw = Convert.FromHexString(log.First(l => l.StartsWith("raw C_Sign output", StringComparison.Ordinal)).Split(": ")[1].Trim());
        var expected = log.First(l => l.StartsWith("SSH signature blob", StringComparison.Ordinal)).Split(": ")[1].Trim();
        var certificate = SshCertificate.ParseLine(Vectors.FirstLine($"v4/user-cert.{kind}.pub"));

        var signature = kind switch
        {
            "ed25519" => SshSignatureEncoder.FromEd25519(raw),
            "ecdsa384" => SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP384, raw),
            _ => SshSignatureEncoder.FromRsaPkcs1("rsa-sha2-512", raw, ((RsaPublicKey)certificate.SignatureKey).ModulusLength),
        };

        Assert.Equal(expected, Convert.ToHexString(signature.Blob.Span).ToLowerInvariant());
        Assert.Equal(certificate.Signature.Blob.ToArray(), signature.Blob.ToArray());
        var rebuilt = SshCertificateBuilder.Assemble(certificate.ToBeSigned.Span, signature);
        Assert.Equal(certificate.Blob.ToArray(), rebuilt.Blob.ToArray());
    }
}
