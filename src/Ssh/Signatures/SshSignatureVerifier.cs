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

                using (var ecdsa = ECDsa.Create(ec.ToParameters()))
                {
                    return Result(ecdsa.VerifyData(data, signature.GetEcdsaFixed(ec.Curve), ec.Curve.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
                }

            case RsaPublicKey rsaKey:
                if (algorithm == SshSignatureAlgorithms.RsaSha1)
                {
                    // spec/openssh.md §1: ssh-rsa (SHA-1) CA signatures are refused by OpenSSH since 8.2.
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
        using var rsa = RSA.Create(key.ToParameters());
        return rsa.VerifyData(data, padded, RsaDigestInfo.HashFor(signature.Algorithm), RSASignaturePadding.Pkcs1);
    }

    private static SignatureVerification Result(bool ok) => ok ? SignatureVerification.Valid : SignatureVerification.Invalid;
}
