using System.Formats.Asn1;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// Turns what signing hardware returns into SSH signature blobs (RFC 8709 §6, RFC 5656 §3.1.2, RFC 8332 §3; proven
/// against sshd with SoftHSM output in vectors/v4).
/// </summary>
public static class SshSignatureEncoder
{
    /// <summary><c>CKM_EDDSA</c> output: 64 bytes R ‖ S, used as the body unchanged.</summary>
    public static SshSignature FromEd25519(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 64)
        {
            throw new SshFormatException("Ed25519 signature", $"must be 64 bytes, got {signature.Length}");
        }

        return SshSignature.Create(SshSignatureAlgorithms.Ed25519, signature);
    }

    /// <summary>
    /// <c>CKM_ECDSA</c> (and PIV) output: fixed-size <c>r ‖ s</c>, each half zero-padded to the
    /// field size. Each half becomes a minimal mpint.
    /// </summary>
    public static SshSignature FromEcdsaFixed(EcCurve curve, ReadOnlySpan<byte> rs)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (rs.Length != 2 * curve.FieldSize)
        {
            throw new SshFormatException("ECDSA signature", $"{curve.Identifier} r‖s must be {2 * curve.FieldSize} bytes, got {rs.Length}");
        }

        return Build(curve, rs[..curve.FieldSize], rs[curve.FieldSize..]);
    }

    /// <summary>A DER <c>ECDSA-Sig-Value</c> (SEQUENCE { r INTEGER, s INTEGER }), as PIV and cloud KMSs return.</summary>
    public static SshSignature FromEcdsaDer(EcCurve curve, ReadOnlySpan<byte> der)
    {
        ArgumentNullException.ThrowIfNull(curve);
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            var r = sequence.ReadIntegerBytes().Span;
            var s = sequence.ReadIntegerBytes().Span;
            sequence.ThrowIfNotEmpty();
            reader.ThrowIfNotEmpty();
            if ((r[0] & 0x80) != 0 || (s[0] & 0x80) != 0)
            {
                throw new SshFormatException("ECDSA signature", "DER r or s is negative");
            }

            return Build(curve, r, s);
        }
        catch (AsnContentException e)
        {
            throw new SshFormatException("ECDSA signature: DER is malformed", e);
        }
    }

    /// <summary>
    /// RSASSA-PKCS1-v1_5 output (<c>CKM_SHA512_RSA_PKCS</c>, or <c>CKM_RSA_PKCS</c> over
    /// <see cref="RsaDigestInfo.Create"/>). Left-padded to exactly the modulus length.
    /// </summary>
    public static SshSignature FromRsaPkcs1(string algorithm, ReadOnlySpan<byte> signature, int modulusLength)
    {
        if (algorithm is not (SshSignatureAlgorithms.RsaSha512 or SshSignatureAlgorithms.RsaSha256))
        {
            throw new ArgumentException($"RSA CA signatures are rsa-sha2-512 or rsa-sha2-256, not '{algorithm}'", nameof(algorithm));
        }

        if (signature.Length > modulusLength || signature.IsEmpty)
        {
            throw new SshFormatException("RSA signature", $"{signature.Length} bytes does not fit a {modulusLength}-byte modulus");
        }

        var padded = new byte[modulusLength];
        signature.CopyTo(padded.AsSpan(modulusLength - signature.Length));
        return SshSignature.Create(algorithm, padded);
    }

    private static SshSignature Build(EcCurve curve, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        r = r.TrimStart((byte)0);
        s = s.TrimStart((byte)0);
        if (r.IsEmpty || s.IsEmpty || r.Length > curve.FieldSize || s.Length > curve.FieldSize)
        {
            throw new SshFormatException("ECDSA signature", $"r and s must be non-zero and fit the {curve.Identifier} field");
        }

        var inner = new SshWriter(2 * (curve.FieldSize + 5));
        inner.WriteMpint(r);
        inner.WriteMpint(s);
        return SshSignature.Create(curve.KeyType, inner.WrittenSpan);
    }
}
