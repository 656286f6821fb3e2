using System.Security.Cryptography.X509Certificates;
using System.Text;
using Net.Pkcs11Interop.Common;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// The virtual YubiKey judged by Yubico's own tools from Debian (yubico-piv-tool and ykcs11 2.2.0),
/// not only by our backend. yubico-piv-tool 2.2.0 authenticates the management key with 3DES, so
/// these tests personalise the card with a 3DES key first (as an operator can on a real 5.7 card).
/// </summary>
[Collection("pcsc")]
public sealed class YubicoToolsTests(VirtualCard card)
{
    private const string Tool = "/usr/bin/yubico-piv-tool";
    private const string Ykcs11 = "/usr/lib/x86_64-linux-gnu/libykcs11.so.2";
    private static readonly byte[] TripleDesKey = Convert.FromHexString("0102030405060708090A0B0C0D0E0F101112131415161718");

    private static ProcessRunnerResult Piv(params string[] arguments)
    {
        var result = Tools.Run(Tools.Require(Tool), ["-r", "Yubico YubiKey vpcd", .. arguments], timeoutMs: 60_000);
        return new ProcessRunnerResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    private void UseTripleDes()
    {
        card.Factory();
        card.Key.Personalise("123456", "12345678", TripleDesKey, 0x03);
    }

    [Fact]
    public void StatusShowsTheFirmwareSerialAndPinTries()
    {
        UseTripleDes();
        var status = Piv("-a", "status");
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Contains("Version:\t5.7.1", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Serial Number:\t12345678", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("PIN tries left:\t3", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateAndAttestWithYubicoPivToolAndOurBackendReadsTheSameKey()
    {
        UseTripleDes();
        var generated = Piv("-k" + Convert.ToHexString(TripleDesKey), "-a", "generate", "-s", "9d", "-A", "ECCP256", "--pin-policy=once", "--touch-policy=never");
        Assert.True(generated.ExitCode == 0, generated.Output);
        // The PEM public key yubico-piv-tool prints is the key our backend finds in the slot.
        var pem = System.Security.Cryptography.ECDsa.Create();
        pem.ImportFromPem(generated.Stdout);
        var fromTool = EcdsaPublicKey.FromParameters(pem.ExportParameters(false));

        var attested = Piv("-a", "attest", "-s", "9d");
        Assert.True(attested.ExitCode == 0, attested.Output);
        using var attestation = X509Certificate2.CreateFromPem(attested.Stdout);
        Assert.Equal("CN=YubiKey PIV Attestation 9d", attestation.Subject);

        using var pcsc = PcscCard.Connect(Pcscd.ReaderName);
        var session = new PivSession(pcsc);
        session.Select();
        var metadata = session.GetMetadata(0x9D);
        Assert.Equal(fromTool, metadata.PublicKey);
        Assert.Equal(PivPinPolicy.Once, metadata.PinPolicy);
        Assert.Equal(PivKeyOrigin.Generated, metadata.Origin);
        Assert.Equal(attestation.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo(), pem.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void AKeyOurCeremonyGeneratedSignsThroughYkcs11AndVerifies()
    {
        UseTripleDes();
        var made = PivKeyCeremony.Generate(new PivCaKeyOptions { Reader = Pcscd.ReaderName, Slot = 0x9A }, PivAlgorithm.EccP256, PivPinPolicy.Once, PivTouchPolicy.Never, TripleDesKey);

        var factories = Hsm.Pkcs11.Pkcs11Library.Factories;
        var library = Hsm.Pkcs11.Pkcs11Library.Get(Tools.Require(Ykcs11));
        var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetSlotInfo().SlotDescription.StartsWith("Yubico YubiKey vpcd", StringComparison.Ordinal));
        Assert.Contains("12345678", slot.GetTokenInfo().Label, StringComparison.Ordinal);
        using var session = slot.OpenSession(SessionType.ReadOnly);
        session.Login(CKU.CKU_USER, "123456");
        // ykcs11: CKA_ID 1 is slot 9a (ykcs11 maps key ids 1..4 to slots 9a, 9c, 9d, 9e).
        var keys = session.FindAllObjects([
            factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            factories.ObjectAttributeFactory.Create(CKA.CKA_ID, new byte[] { 1 }),
        ]);
        var privateKey = Assert.Single(keys);
        var data = Encoding.UTF8.GetBytes("signed through ykcs11");
        var digest = System.Security.Cryptography.SHA256.HashData(data);
        using var mechanism = factories.MechanismFactory.Create(CKM.CKM_ECDSA);
        var rs = session.Sign(mechanism, privateKey, digest);

        var ec = (EcdsaPublicKey)made.PublicKey;
        using var verifier = System.Security.Cryptography.ECDsa.Create(ec.ToParameters());
        Assert.True(verifier.VerifyHash(digest, rs));
    }

    private sealed record ProcessRunnerResult(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }
}
