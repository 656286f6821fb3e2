using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// Software verification of SSH signatures: what the CA does to every signature its hardware
/// returns before releasing a certificate, and what a parser does to a certificate's CA signature.
/// </summary>
public static class SshSignatureVerifier
{
    /// <summary>Checks <paramref name="signature"/> over <paramref name="data"/> with <paramref name="key"/>.</summary>
    public static SignatureVerification Verify(SshPublicKey key, ReadOnlySpan<byte> data, SshSignature signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(signature);
        var algorithm = signature.Algorithm;
        switch (key)
        {
            case Ed25519PublicKey ed:
                return algorithm == SshSignatureAlgorithms.Ed25519
                    ? Result(Ed25519.Verify(ed, data, signature.Body.Span))
                    : SignatureVerification.AlgorithmMismatch;

            case EcdsaPublicKey ec:
                if (algorithm != ec.Curve.KeyType)
                {
                    return SignatureVerification.AlgorithmMismatch;
                }

                return Result(VerifyEcdsa(ec, data, signature));

            case RsaPublicKey rsaKey:
                if (algorithm == SshSignatureAlgorithms.RsaSha1)
                {
                    // OpenSSH 8.2 release notes: ssh-rsa (SHA-1) CA signatures are refused (CASignatureAlgorithms).
                    return SignatureVerification.AlgorithmNotAllowed;
                }

                if (algorithm is not (SshSignatureAlgorithms.RsaSha256 or SshSignatureAlgorithms.RsaSha512))
                {
                    return SignatureVerification.AlgorithmMismatch;
                }

                return Result(VerifyRsa(rsaKey, data, signature));

            default:
                return SignatureVerification.Unsupported;
        }
    }

    private static bool VerifyEcdsa(EcdsaPublicKey key, ReadOnlySpan<byte> data, SshSignature signature)
    {
        // Hash here so the pooled instance only sees fixed-size inputs (a span cannot enter the lambda).
        Span<byte> hash = stackalloc byte[64];
        var length = CryptographicOperations.HashData(key.Curve.Hash, data, hash);
        var digest = hash[..length].ToArray();
        var rs = signature.GetEcdsaFixed(key.Curve);
        return key.Verifiers.Use(ecdsa => ecdsa.VerifyHash(digest, rs, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    private static bool VerifyRsa(RsaPublicKey key, ReadOnlySpan<byte> data, SshSignature signature)
    {
        var body = signature.Body.Span;
        if (body.Length > key.ModulusLength)
        {
            return false;
        }

        // ssh-rsa.c: a signature shorter than the modulus is left-padded with zeros.
        var padded = new byte[key.ModulusLength];
        body.CopyTo(padded.AsSpan(key.ModulusLength - body.Length));
        var hashName = RsaDigestInfo.HashFor(signature.Algorithm);
        Span<byte> hash = stackalloc byte[64];
        var length = CryptographicOperations.HashData(hashName, data, hash);
        var digest = hash[..length].ToArray();
        return key.Verifiers.Use(rsa => rsa.VerifyHash(digest, padded, hashName, RSASignaturePadding.Pkcs1));
    }

    private static SignatureVerification Result(bool ok) => ok ? SignatureVerification.Valid : SignatureVerification.Invalid;
}
