using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Tests.Shared;
using SshHsmCa.VirtualCards;

namespace SshHsmCa.Hsm.Tests;

/// <summary>Attestation chains: Yubico's real ones from the vectors, and the virtual card's own.</summary>
public sealed class PivAttestationTests
{
    private static byte[] Der(string name) => X509Certificate2.CreateFromPem(File.ReadAllText(Repository.Vector("yubico-attestation/" + name))).RawData;

    private static X509Certificate2[] YubicoRoots =>
    [
        X509Certificate2.CreateFromPem(File.ReadAllText(Repository.Vector("yubico-attestation/yubico-piv-root-ca-263751.pem"))),
        X509Certificate2.CreateFromPem(File.ReadAllText(Repository.Vector("yubico-attestation/yubico-u2f-root-ca-457200631.pem"))),
    ];

    [Theory]
    [InlineData("ValidChain", true)]
    [InlineData("ValidChain2018", false)] // a 2018 key's attestation carries no serial extension
    public void RealYubiKeyChainsVerify(string name, bool hasSerial)
    {
        var statement = PivAttestation.Verify(Der(name + ".slot-attestation.pem"), Der(name + ".device-f9.pem"), YubicoRoots);
        Assert.Equal(hasSerial, statement.Serial is not null);
        Assert.NotNull(statement.Firmware);
        Assert.Contains("Yubico", statement.Root, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBundledRootsAreYubicosOwn()
    {
        Assert.Equal(2, PivAttestation.YubicoRoots.Count);
        Assert.All(YubicoRoots, r => Assert.Contains(PivAttestation.YubicoRoots, b => b.RawData.AsSpan().SequenceEqual(r.RawData)));
        Assert.NotNull(PivAttestation.Verify(Der("ValidChain.slot-attestation.pem"), Der("ValidChain.device-f9.pem"), PivAttestation.YubicoRoots));
    }

    [Theory]
    [InlineData("InvalidChain")]
    [InlineData("InvalidChain2")]
    public void ADeviceCertificateFromAnotherYubiKeyIsRefused(string name)
    {
        var e = Assert.Throws<CryptographicException>(() => PivAttestation.Verify(Der(name + ".slot-attestation.pem"), Der(name + ".device-f9.pem"), YubicoRoots));
        Assert.Contains("not", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheVirtualCardsChainVerifiesUnderItsTestRootOnly()
    {
        using var authority = new AttestationAuthority();
        var (f9, device) = authority.IssueDevice(424242);
        using (f9)
        {
            var key = SlotKey.Generate(0x11, 2, 3);
            var attestation = AttestationAuthority.Attest(f9, device, 0x9C, key, 424242, [5, 7, 1]);
            var statement = PivAttestation.Verify(attestation, device, [authority.Root]);
            Assert.Equal(424242u, statement.Serial);
            Assert.Equal(new Version(5, 7, 1), statement.Firmware);
            Assert.Equal(PivPinPolicy.Once, statement.PinPolicy);
            Assert.Equal(PivTouchPolicy.Cached, statement.TouchPolicy);
            Assert.Equal(key.Ec!.ExportSubjectPublicKeyInfo(), statement.SubjectPublicKeyInfo);

            // The virtual card is not a YubiKey: Yubico's roots do not vouch for it.
            Assert.Throws<CryptographicException>(() => PivAttestation.Verify(attestation, device, YubicoRoots));
        }
    }
}
