using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

public class SshCertificateBuilderTests
{
    private static readonly SshOptionSet ForceCommand = SshOptionSet.Create(SshOptionKind.Critical, [SshCriticalOptions.ForceCommand("/bin/true")]);

    private static SshCertificateBuilder Builder(
        IReadOnlyList<string>? principals = null,
        ulong serial = 5,
        SshCertificateType type = SshCertificateType.User,
        SshOptionSet? critical = null,
        ulong validAfter = 10,
        ulong validBefore = 20,
        string keyId = "id") => new()
        {
            PublicKey = SubjectKeys.Create("ed25519"),
            SignatureKey = SubjectKeys.Create("ed25519"),
            Nonce = new byte[32],
            Serial = serial,
            Fields = new SshCertificateFields
            {
                Type = type,
                KeyId = keyId,
                Principals = principals ?? ["alice"],
                ValidAfter = validAfter,
                ValidBefore = validBefore,
                CriticalOptions = critical ?? SshOptionSet.NoCriticalOptions,
            },
        };

    [Fact]
    public void ValidFieldsEncodeAndParseBack()
    {
        Assert.NotEmpty(Builder(critical: ForceCommand).EncodeToBeSigned());
        using var ca = TestCaKey.Create("ed25519");
        var builder = new SshCertificateBuilder
        {
            PublicKey = SubjectKeys.Create("ed25519"),
            SignatureKey = ca.PublicKey,
            Nonce = new byte[32],
            Serial = 5,
            Fields = new SshCertificateFields
            {
                Type = SshCertificateType.User,
                KeyId = "id",
                Principals = ["alice"],
                ValidAfter = 10,
                ValidBefore = 20,
            },
        };
        var tbs = builder.EncodeToBeSigned();
        var certificate = SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs));
        Assert.Equal(["alice"], certificate.Principals);
    }

    [Fact]
    public void RefusesEmptyPrincipals() =>
        Assert.Contains("principals", Assert.Throws<InvalidOperationException>(() => Builder(principals: []).EncodeToBeSigned()).Message, StringComparison.Ordinal);

    [Fact]
    public void RefusesMoreThan256Principals() =>
        Assert.Throws<InvalidOperationException>(() => Builder(principals: Enumerable.Range(0, 257).Select(i => $"p{i}").ToArray()).EncodeToBeSigned());

    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    public void RefusesEmptyOrNulPrincipals(string principal) =>
        Assert.Throws<InvalidOperationException>(() => Builder(principals: [principal]).EncodeToBeSigned());

    [Fact]
    public void RefusesSerialZero() =>
        Assert.Contains("serial", Assert.Throws<InvalidOperationException>(() => Builder(serial: 0).EncodeToBeSigned()).Message, StringComparison.Ordinal);

    [Fact]
    public void RefusesCriticalOptionsOnHostCertificates() =>
        Assert.Throws<InvalidOperationException>(() => Builder(type: SshCertificateType.Host, critical: ForceCommand).EncodeToBeSigned());

    [Fact]
    public void RefusesAnEmptyOrInvertedValidityWindow() =>
        Assert.Throws<InvalidOperationException>(() => Builder(validAfter: 20, validBefore: 20).EncodeToBeSigned());

    [Fact]
    public void RefusesNulInTheKeyId() =>
        Assert.Throws<InvalidOperationException>(() => Builder(keyId: "a\0").EncodeToBeSigned());

    [Fact]
    public void ParserRefusesMoreThan256Principals()
    {
        var blob = CertificateSurgery.Build([], [], Enumerable.Range(0, 257).Select(i => $"p{i}"));
        var e = Assert.Throws<SshFormatException>(() => SshCertificate.Parse(blob));
        Assert.Equal("principals", e.Field);
        Assert.Equal(256, SshCertificate.Parse(CertificateSurgery.Build([], [], Enumerable.Range(0, 256).Select(i => $"p{i}"))).PrincipalCount);
    }

    [Fact]
    public void ParserRefusesTrailingBytesAndUnknownTypes()
    {
        var blob = CertificateSurgery.Build([], [], ["a"]);
        Assert.Throws<SshFormatException>(() => SshCertificate.Parse(blob.Concat(new byte[] { 0 }).ToArray()));
        var typeChanged = (byte[])blob.Clone();
        typeChanged[5] = (byte)'x';
        Assert.Equal("certificate type", Assert.Throws<SshFormatException>(() => SshCertificate.Parse(typeChanged)).Field);
    }

    [Fact]
    public void ParserRefusesCertificateTypeOtherThanUserOrHost()
    {
        var v1 = SshCertificate.ParseLine(Vectors.FirstLine("v1/user_ecdsa256-cert.pub")).Blob.ToArray();
        v1[0xac] = 3; // the type field at 0x0a9
        Assert.Equal("type", Assert.Throws<SshFormatException>(() => SshCertificate.Parse(v1)).Field);
    }

    [Fact]
    public void NonceComesFromTheInjectedGenerator()
    {
        using var rng = System.Security.Cryptography.RandomNumberGenerator.Create();
        var a = SshCertificateBuilder.CreateNonce(rng);
        var b = SshCertificateBuilder.CreateNonce(rng);
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
    }
}
