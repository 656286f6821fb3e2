using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests;

[Trait(OpenSsh.Trait, OpenSsh.Judges)]
public class PublicKeyTests
{
    public static TheoryData<string> VectorKeys =>
    [
        "v1/ca_ed25519.pub", "v1/user_ecdsa256.pub", "v2/ca_rsa3072.pub", "v2/host_ed25519.pub",
        "v3/ca_ecdsa384_hsm.pub", "v3/ca_rsa3072_hsm.pub", "v3/user_ed25519.pub", "v4/ca_ed25519_hsm.pub",
    ];

    [Theory]
    [MemberData(nameof(VectorKeys))]
    public void ParseLine_RoundTripsVectorKeysAndMatchesSshKeygenFingerprint(string file)
    {
        var line = Vectors.FirstLine(file);
        var key = SshPublicKey.ParseLine(line, out var comment);
        Assert.Equal(line, key.ToOpenSshLine(comment));

        var keygen = SshKeygen.Run("-l", "-E", "sha256", "-f", Vectors.Path(file));
        Assert.Equal(0, keygen.ExitCode);
        var expected = string.IsNullOrEmpty(comment)
            ? $"{key.SizeInBits} {key.GetSha256Fingerprint()} no comment ({key.DisplayName})"
            : $"{key.SizeInBits} {key.GetSha256Fingerprint()} {comment} ({key.DisplayName})";
        Assert.Equal(expected, keygen.Stdout.Trim());
    }

    [Fact]
    public void Fingerprint_MatchesTheVectorCa()
    {
        var key = SshPublicKey.ParseLine(Vectors.FirstLine("v1/ca_ed25519.pub"));
        Assert.Equal("SHA256:vgVgjTdeZ/pMpHK+hLjODDSHVcmEVOgvyWcEibwNwV4", key.GetSha256Fingerprint());
        Assert.IsType<Ed25519PublicKey>(key);
    }

    [Theory]
    [MemberData(nameof(SubjectTypes))]
    public void EveryKeyTypeRoundTripsAndSshKeygenReadsIt(string type)
    {
        var key = SubjectKeys.Create(type);
        var reparsed = SshPublicKey.ParseBlob(key.Blob.ToArray());
        Assert.Equal(key, reparsed);
        Assert.Equal(key.GetType(), reparsed.GetType());

        using var dir = new TempDir();
        var file = dir.Write("k.pub", key.ToOpenSshLine("test") + "\n");
        var keygen = SshKeygen.Run("-l", "-f", file);
        Assert.True(keygen.ExitCode == 0, keygen.Stderr);
        Assert.Equal($"{key.SizeInBits} {key.GetSha256Fingerprint()} test ({key.DisplayName})", keygen.Stdout.Trim());
    }

    public static TheoryData<string> SubjectTypes => [.. SubjectKeys.Types];

    [Fact]
    public void RsaSizeIsReadExactlyFromTheModulus()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(3000);
        var key = RsaPublicKey.FromParameters(rsa.ExportParameters(false));
        Assert.Equal(3000, key.SizeInBits);
    }

    [Fact]
    public void RejectsRsaBelow1024Bits()
    {
        var modulus = new byte[127];
        modulus[0] = 0xc1;
        modulus[^1] = 1;
        var e = Assert.Throws<SshFormatException>(() => RsaPublicKey.Create([1, 0, 1], modulus));
        Assert.Contains("1016 bits", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAPointNotOnTheCurve()
    {
        var key = (EcdsaPublicKey)SubjectKeys.Create("ecdsa-p256");
        var q = key.Q.ToArray();
        q[^1] ^= 1;
        var e = Assert.Throws<SshFormatException>(() => EcdsaPublicKey.Create(EcCurve.NistP256, q));
        Assert.Contains("not on the nistp256 curve", e.Message, StringComparison.Ordinal);

        var blob = key.Blob.ToArray();
        blob[^1] ^= 1;
        Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(blob));
    }

    [Fact]
    public void RejectsCompressedPointsAndCurveMismatch()
    {
        var key = (EcdsaPublicKey)SubjectKeys.Create("ecdsa-p256");
        var q = key.Q.ToArray();
        q[0] = 0x02;
        Assert.Throws<SshFormatException>(() => EcdsaPublicKey.Create(EcCurve.NistP256, q));

        var w = new SshWriter();
        w.WriteString("ecdsa-sha2-nistp256");
        w.WriteString("nistp384");
        w.WriteString(key.Q.Span);
        var e = Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(w.ToArray()));
        Assert.Equal("public key curve", e.Field);
    }

    [Fact]
    public void ParseLine_RejectsTypeWordThatDisagreesWithTheBlob()
    {
        var line = Vectors.FirstLine("v1/ca_ed25519.pub").Replace("ssh-ed25519 ", "ssh-rsa ", StringComparison.Ordinal);
        var e = Assert.Throws<SshFormatException>(() => SshPublicKey.ParseLine(line));
        Assert.Equal("public key type", e.Field);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ssh-ed25519")]
    [InlineData("ssh-ed25519 AAAA!!!!")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg1AA==")]
    public void ParseLine_RejectsMalformedLines(string line) =>
        Assert.Throws<SshFormatException>(() => SshPublicKey.ParseLine(line));

    [Fact]
    public void ParseBlob_RejectsCertificatesAndUnknownTypes()
    {
        var cert = SshHsmCa.Ssh.Certificates.SshCertificate.ParseLine(Vectors.FirstLine("v1/user_ecdsa256-cert.pub"));
        Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(cert.Blob));
        var w = new SshWriter();
        w.WriteString("ssh-dss");
        Assert.Contains("ssh-dss", Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(w.ToArray())).Message, StringComparison.Ordinal);
    }
}
