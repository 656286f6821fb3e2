using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Every CA key type × every subject key type × user/host: a certificate built by the library is
/// accepted by <c>ssh-keygen -L</c> (which verifies the CA signature while loading) and shows the
/// same fields as our own reading of it.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
public class SshKeygenMatrixTests
{
    public static readonly string[] CaTypes = ["ed25519", "p256", "p384", "p521", "rsa3072-sha512", "rsa2048-sha256"];

    public static TheoryData<string, string, SshCertificateType> Matrix()
    {
        var data = new TheoryData<string, string, SshCertificateType>();
        foreach (var ca in CaTypes)
        {
            foreach (var subject in SubjectKeys.Types)
            {
                data.Add(ca, subject, SshCertificateType.User);
                data.Add(ca, subject, SshCertificateType.Host);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void SshKeygenAcceptsAndAgrees(string caType, string subjectType, SshCertificateType type)
    {
        using var ca = TestCaKey.Create(caType);
        var subject = SubjectKeys.Create(subjectType);
        var user = type == SshCertificateType.User;
        var critical = new List<SshOption>();
        var extensions = new List<SshOption>();
        if (user)
        {
            critical.Add(SshCriticalOptions.ForceCommand("/usr/bin/id -un"));
            critical.Add(SshCriticalOptions.SourceAddresses(SourceAddressList.Parse("10.0.0.0/8,2001:db8::/32,127.0.0.1")));
            extensions.AddRange(SshExtensions.DefaultUser);
            extensions.Add(SshOption.WithValue("login@example.com", "alice"));
            extensions.Add(SshOption.Flag("audit@example.com"));
            if (subject.IsSecurityKey)
            {
                critical.Add(SshCriticalOptions.VerifyRequired());
                extensions.Add(SshOption.Flag(SshExtensions.NoTouchRequired));
            }
        }

        var builder = new SshCertificateBuilder
        {
            PublicKey = subject,
            SignatureKey = ca.PublicKey,
            Nonce = SshCertificateBuilder.CreateNonce(System.Security.Cryptography.RandomNumberGenerator.Create()),
            Serial = 0x0102030405060708,
            Fields = new SshCertificateFields
            {
                Type = type,
                KeyId = $"{caType}/{subjectType}/{type} requested by alice@example.com",
                Principals = user ? ["alice", "admin", "deploy-bot"] : ["web01.example.com", "10.1.2.3"],
                ValidAfter = 1_735_689_540,
                ValidBefore = user ? 1_735_732_800UL : ulong.MaxValue,
                CriticalOptions = SshOptionSet.Create(SshOptionKind.Critical, critical),
                Extensions = SshOptionSet.Create(SshOptionKind.Extension, extensions),
            },
        };

        var tbs = builder.EncodeToBeSigned();
        var certificate = SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs));
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());

        using var dir = new TempDir();
        var path = dir.Write("subject-cert.pub", certificate.ToOpenSshLine("matrix") + "\n");
        var keygen = SshKeygen.Run("-L", "-f", path);
        Assert.True(keygen.ExitCode == 0, $"ssh-keygen -L refused the certificate: {keygen.Stderr}");
        Assert.Equal(SshCertificateListing.Format(certificate, path), keygen.Stdout);

        // Make sure the listing checks something: a flipped signature byte must make ssh-keygen refuse it.
        var tampered = certificate.Blob.ToArray();
        tampered[^5] ^= 0x40;
        var badPath = dir.Write("tampered-cert.pub", $"{certificate.CertificateType} {Convert.ToBase64String(tampered)}\n");
        Assert.NotEqual(0, SshKeygen.Run("-L", "-f", badPath).ExitCode);
        Assert.NotEqual(SignatureVerification.Valid, SshCertificate.Parse(tampered).VerifySignature());
    }

    [Theory]
    [InlineData("v1/user_ecdsa256-cert")]
    [InlineData("v2/host_ed25519-cert.rsa-sha2-512")]
    [InlineData("v2/host_ed25519-cert.ssh-rsa-sha1")]
    [InlineData("v3/user_ed25519-cert")]
    [InlineData("v3/user_ed25519-cert.unknown-critical")]
    [InlineData("v4/user-cert.ecdsa384")]
    public void ListingMatchesTheVectorsRecordedSshKeygenOutput(string vector)
    {
        var recorded = Vectors.ReadText(vector + ".L.txt");
        recorded = recorded[..recorded.IndexOf("\nblob hex:", StringComparison.Ordinal)].TrimEnd('\n') + "\n";
        var certificate = SshCertificate.ParseLine(Vectors.FirstLine(vector + ".pub"));
        Assert.Equal(recorded, SshCertificateListing.Format(certificate, vector + ".pub"));
    }
}
