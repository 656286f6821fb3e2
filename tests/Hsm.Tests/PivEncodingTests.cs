using System.Numerics;
using System.Security.Cryptography;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Tests;

/// <summary>The host-side halves of PIV: the strict TLV parser, the RSA block, the management key cipher.</summary>
public sealed class PivEncodingTests
{
    [Fact]
    public void TlvRoundTripsOneAndTwoByteTagsAndLongLengths()
    {
        var value = RandomNumberGenerator.GetBytes(300);
        var encoded = Tlv.Concat(Tlv.Encode(0x7C, [1, 2]), Tlv.Encode(0x7F49, value), Tlv.Encode(0x53, new byte[200]));
        var parsed = Tlv.Parse(encoded);
        Assert.Equal([0x7C, 0x7F49, 0x53], parsed.Select(t => t.Tag));
        Assert.Equal(value, Tlv.Find(parsed, 0x7F49));
        Assert.Equal(200, Tlv.Find(parsed, 0x53)!.Length);
        Assert.Null(Tlv.Find(parsed, 0x99));
    }

    [Theory]
    [InlineData("7C")]             // no length
    [InlineData("7C0501")]         // length past the end
    [InlineData("7C81")]           // truncated long length
    [InlineData("7C8201")]         // truncated two-byte length
    [InlineData("7C83000001")]     // unsupported length form
    [InlineData("7C80")]           // indefinite length
    [InlineData("5F")]             // two-byte tag cut short
    public void MalformedTlvIsRefused(string hex) => Assert.Throws<FormatException>(() => Tlv.Parse(Convert.FromHexString(hex)));

    [Fact]
    public void TheRsaBlockSignedRawIsThePkcs1Signature()
    {
        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(true);
        var key = RsaPublicKey.FromParameters(parameters);
        var data = "to be signed"u8.ToArray();
        var block = PivSignatureInput.Create("test", PivAlgorithm.Rsa2048, key, "rsa-sha2-512", data);
        Assert.Equal(256, block.Length);
        Assert.Equal([0x00, 0x01, 0xFF], block[..3]);

        // What the card does: raw RSA with the private exponent.
        var m = new BigInteger(block, isUnsigned: true, isBigEndian: true);
        var s = BigInteger.ModPow(m, new BigInteger(parameters.D, true, true), new BigInteger(parameters.Modulus, true, true)).ToByteArray(true, true);
        var raw = new byte[256];
        s.CopyTo(raw, 256 - s.Length);
        Assert.Equal(rsa.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1), raw);
        Assert.Throws<HsmException>(() => PivSignatureInput.Pkcs1Block(32, new byte[83]));
    }

    [Theory]
    [InlineData(PivAlgorithm.TripleDes, "010203040506070801020304050607080102030405060708")]
    [InlineData(PivAlgorithm.TripleDes, "0102030405060708090A0B0C0D0E0F101112131415161718")]
    [InlineData(PivAlgorithm.Aes192, "010203040506070801020304050607080102030405060708")]
    [InlineData(PivAlgorithm.Aes128, "000102030405060708090A0B0C0D0E0F")]
    [InlineData(PivAlgorithm.Aes256, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")]
    public void ManagementKeyBlocksDecryptWhatTheyEncrypt(PivAlgorithm algorithm, string keyHex)
    {
        var key = Convert.FromHexString(keyHex);
        var block = RandomNumberGenerator.GetBytes(PivManagementKey.BlockSize(algorithm));
        var encrypted = PivManagementKey.Encrypt(algorithm, key, block);
        Assert.NotEqual(block, encrypted);
        Assert.Equal(block, PivManagementKey.Decrypt(algorithm, key, encrypted));
        Assert.Throws<HsmException>(() => PivManagementKey.Encrypt(algorithm, key.AsSpan(0, key.Length - 1), block));
    }

    [Fact]
    public void ThreeKeyTripleDesMatchesDotnetsTripleDes()
    {
        var key = Convert.FromHexString("0102030405060708090A0B0C0D0E0F101112131415161718");
        var block = RandomNumberGenerator.GetBytes(8);
#pragma warning disable CA5350 // the PIV management key protocol
        using var des = TripleDES.Create();
#pragma warning restore CA5350
        des.Key = key;
        Assert.Equal(des.EncryptEcb(block, PaddingMode.None), PivManagementKey.Encrypt(PivAlgorithm.TripleDes, key, block));
    }

    [Theory]
    [InlineData("piv:slot=9c;serial=12345678", 0x9C, 12345678u, null)]
    [InlineData("piv:reader=Yubico%20YubiKey%20OTP%2BFIDO%2BCCID%2000%2000;slot=82", 0x82, null, "Yubico YubiKey OTP+FIDO+CCID 00 00")]
    public void PivUrisParse(string uri, byte slot, uint? serial, string? reader)
    {
        var options = PivCaKeyOptions.Parse(uri);
        Assert.Equal(slot, options.Slot);
        Assert.Equal(serial, options.Serial);
        Assert.Equal(reader, options.Reader);
    }

    [Theory]
    [InlineData("piv:serial=1", "slot= is required")]
    [InlineData("piv:slot=9b", "not a key slot")]
    [InlineData("piv:slot=9c;serial=-1", "not a number")]
    [InlineData("piv:slot=9c;pin-value=123456", "unknown")]
    [InlineData("pkcs11:token=a", "not a piv: URI")]
    public void BadPivUrisNameTheProblem(string uri, string problem)
    {
        var e = Assert.Throws<HsmException>(() => PivCaKeyOptions.Parse(uri));
        Assert.Equal(HsmErrorKind.Configuration, e.Kind);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
