using System.Numerics;
using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

public class SignatureTests
{
    private static readonly byte[] Data = "to be signed"u8.ToArray();

    [Theory]
    [InlineData("p256")]
    [InlineData("p384")]
    [InlineData("p521")]
    public void EcdsaDerAndFixedOutputsEncodeToTheSameVerifyingSignature(string curve)
    {
        using var key = (TestCaKey.EcdsaTestKey)TestCaKey.Create(curve);
        var ec = (EcdsaPublicKey)key.PublicKey;
        var der = key.SignDer(Data);
        var fromDer = SshSignatureEncoder.FromEcdsaDer(ec.Curve, der);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ec, Data, fromDer));

        // The same signature as fixed r‖s must give identical bytes.
        var fixedForm = DerToFixed(der, ec.Curve.FieldSize);
        Assert.Equal(fromDer.Blob.ToArray(), SshSignatureEncoder.FromEcdsaFixed(ec.Curve, fixedForm).Blob.ToArray());
        Assert.Equal(SignatureVerification.Invalid, SshSignatureVerifier.Verify(ec, "other data"u8, fromDer));
    }

    private static byte[] DerToFixed(byte[] der, int fieldSize)
    {
        var sequence = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var result = new byte[2 * fieldSize];
        foreach (var offset in new[] { fieldSize, 2 * fieldSize })
        {
            var value = sequence.ReadIntegerBytes().Span.TrimStart((byte)0);
            value.CopyTo(result.AsSpan(offset - value.Length));
        }

        return result;
    }

    [Fact]
    public void EcdsaFixedWithLeadingZerosAndTopBitsEncodesMinimalMpints()
    {
        var rs = new byte[64];
        rs[1] = 0x01; // r = 0x01…: a leading zero byte to strip
        rs[32] = 0x80; // s has its top bit set: needs a 0x00 sign byte
        var signature = SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP256, rs);
        var reader = new SshReader(signature.Body.Span);
        Assert.Equal(31, reader.ReadPositiveMpint("r").Length);
        var s = reader.ReadString("s");
        Assert.Equal(33, s.Length);
        Assert.Equal(0, s[0]);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(96)]
    public void EcdsaFixedRefusesTheWrongLength(int length) =>
        Assert.Throws<SshFormatException>(() => SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP256, new byte[length]));

    [Theory]
    [InlineData("3006020100020101")] // r = 0
    [InlineData("30060201ff020101")] // r negative
    [InlineData("3006020101020101ff")] // trailing byte
    [InlineData("300602010102")] // truncated
    public void EcdsaDerRefusesMalformedValues(string hex) =>
        Assert.Throws<SshFormatException>(() => SshSignatureEncoder.FromEcdsaDer(EcCurve.NistP256, Convert.FromHexString(hex)));

    [Fact]
    public void RsaSignatureIsLeftPaddedToTheModulusLength()
    {
        var shortSig = new byte[380];
        shortSig[0] = 0x12;
        var signature = SshSignatureEncoder.FromRsaPkcs1(SshSignatureAlgorithms.RsaSha512, shortSig, 384);
        Assert.Equal(384, signature.Body.Length);
        Assert.Equal(0x12, signature.Body.Span[4]);
        Assert.Throws<SshFormatException>(() => SshSignatureEncoder.FromRsaPkcs1(SshSignatureAlgorithms.RsaSha512, new byte[385], 384));
    }

    [Theory]
    [InlineData("rsa-sha2-512")]
    [InlineData("rsa-sha2-256")]
    public void DigestInfoIsWhatAPkcs1SignatureWraps(string algorithm)
    {
        // Raw CKM_RSA_PKCS signs EMSA-PKCS1-v1_5(DigestInfo ‖ H): recover the encoded message from a
        // real signature with the public key and check its tail is exactly our DigestInfo.
        using var key = (TestCaKey.RsaTestKey)TestCaKey.Create("rsa2048-sha256");
        var parameters = key.Key.ExportParameters(false);
        var signature = key.Key.SignData(Data, RsaDigestInfo.HashFor(algorithm), RSASignaturePadding.Pkcs1);
        var em = BigInteger.ModPow(
            new BigInteger(signature, isUnsigned: true, isBigEndian: true),
            new BigInteger(parameters.Exponent, isUnsigned: true, isBigEndian: true),
            new BigInteger(parameters.Modulus, isUnsigned: true, isBigEndian: true)).ToByteArray(isUnsigned: true, isBigEndian: true);
        var digestInfo = RsaDigestInfo.Create(algorithm, Data);
        Assert.Equal(digestInfo, em[^digestInfo.Length..]);
        Assert.Equal(0, em[^(digestInfo.Length + 1)]);
    }

    [Fact]
    public void VerifierRefusesMismatchedAlgorithmsAndSha1()
    {
        using var ed = TestCaKey.Create("ed25519");
        using var rsa = (TestCaKey.RsaTestKey)TestCaKey.Create("rsa2048-sha256");
        var edSignature = ed.Sign(Data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ed.PublicKey, Data, edSignature));
        Assert.Equal(SignatureVerification.AlgorithmMismatch, SshSignatureVerifier.Verify(rsa.PublicKey, Data, edSignature));
        Assert.Equal(SignatureVerification.AlgorithmMismatch, SshSignatureVerifier.Verify(ed.PublicKey, Data, rsa.Sign(Data)));
        Assert.Equal(SignatureVerification.AlgorithmNotAllowed, SshSignatureVerifier.Verify(rsa.PublicKey, Data, rsa.SignRaw("ssh-rsa", Data)));
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(rsa.PublicKey, Data, rsa.SignRaw("rsa-sha2-512", Data)));
    }

    [Fact]
    public void Ed25519RefusesATamperedSignature()
    {
        using var ed = TestCaKey.Create("ed25519");
        var body = ed.Sign(Data).Body.ToArray();
        body[10] ^= 1;
        Assert.Equal(SignatureVerification.Invalid, SshSignatureVerifier.Verify(ed.PublicKey, Data, SshSignatureEncoder.FromEd25519(body)));
    }

    [Theory]
    [InlineData("0000000b7373682d65643235353139" + "00000003010203")] // Ed25519 body not 64 bytes
    [InlineData("0000000773736b2d647361" + "00000000")] // unknown algorithm
    [InlineData("0000001365636473612d736861322d6e69737470323536" + "00000006" + "0000000101" + "00")] // s truncated inside the body
    public void ParseRefusesMalformedSignatureBlobs(string hex) =>
        Assert.Throws<SshFormatException>(() => SshSignature.Parse(Convert.FromHexString(hex)));
}
