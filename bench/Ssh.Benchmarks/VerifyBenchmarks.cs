using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NSec.Cryptography;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Benchmarks;

/// <summary>
/// Verifying a CA signature over a typical certificate's to-be-signed bytes: what the CA does
/// after every hardware signature. The two Ed25519 rows are the measurement behind the choice of
/// BouncyCastle over NSec (libsodium).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class VerifyBenchmarks
{
    private byte[] _tbs = null!;
    private Ed25519PublicKey _edKey = null!;
    private SshSignature _edSignature = null!;
    private NSec.Cryptography.PublicKey _nsecKey = null!;
    private EcdsaPublicKey _p256Key = null!;
    private SshSignature _p256Signature = null!;
    private byte[] _p256Fixed = null!;
    private RsaPublicKey _rsaKey = null!;
    private SshSignature _rsaSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _edKey = Fixtures.Ed25519Ca();
        _tbs = Fixtures.TypicalUser(_edKey).EncodeToBeSigned();
        _edSignature = Fixtures.SignEd25519(_tbs);
        _nsecKey = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, _edKey.PublicKey.Span, KeyBlobFormat.RawPublicKey);

        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _p256Key = EcdsaPublicKey.FromParameters(p256.ExportParameters(false));
        _p256Fixed = p256.SignData(_tbs, HashAlgorithmName.SHA256);
        _p256Signature = SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP256, _p256Fixed);

        using var rsa = RSA.Create(3072);
        _rsaKey = RsaPublicKey.FromParameters(rsa.ExportParameters(false));
        _rsaSignature = SshSignatureEncoder.FromRsaPkcs1(SshSignatureAlgorithms.RsaSha512, rsa.SignData(_tbs, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1), _rsaKey.ModulusLength);
    }

    /// <summary>Ed25519 through the library (NSec, key imported once per key object).</summary>
    [Benchmark(Baseline = true)]
    public SignatureVerification Ed25519_Library() => SshSignatureVerifier.Verify(_edKey, _tbs, _edSignature);

    /// <summary>Ed25519 through NSec (libsodium) directly.</summary>
    [Benchmark]
    public bool Ed25519_NSec() => SignatureAlgorithm.Ed25519.Verify(_nsecKey, _tbs, _edSignature.Body.Span);

    /// <summary>Ed25519 through BouncyCastle's Rfc8032 directly, the alternative that was measured.</summary>
    [Benchmark]
    public bool Ed25519_BouncyCastle() => Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(_edSignature.Body.Span, _edKey.PublicKey.Span, _tbs);

    /// <summary>Ed25519 on a freshly parsed key (as when verifying a certificate just parsed).</summary>
    [Benchmark]
    public SignatureVerification Ed25519_FreshKey() => SshSignatureVerifier.Verify(SshPublicKey.ParseBlob(_edKey.Blob), _tbs, _edSignature);

    /// <summary>ECDSA P-256 / SHA-256 (OpenSSL through System.Security.Cryptography).</summary>
    [Benchmark]
    public SignatureVerification EcdsaP256() => SshSignatureVerifier.Verify(_p256Key, _tbs, _p256Signature);

    /// <summary>ECDSA P-256 importing the key into OpenSSL on every call (what the pool avoids).</summary>
    [Benchmark]
    public bool EcdsaP256_ImportPerCall()
    {
        using var ecdsa = ECDsa.Create(_p256Key.ToParameters());
        return ecdsa.VerifyData(_tbs, _p256Fixed, HashAlgorithmName.SHA256);
    }

    /// <summary>RSA-3072 rsa-sha2-512.</summary>
    [Benchmark]
    public SignatureVerification Rsa3072Sha512() => SshSignatureVerifier.Verify(_rsaKey, _tbs, _rsaSignature);
}
