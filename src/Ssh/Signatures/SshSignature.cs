using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// An SSH signature blob: <c>string algorithm ‖ string body</c> (plus flags and counter for
/// security keys). Parsed strictly per algorithm; the body is a slice of the parsed memory.
/// </summary>
public sealed class SshSignature
{
    private SshSignature(string algorithm, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> blob)
    {
        Algorithm = algorithm;
        Body = body;
        Blob = blob;
    }

    /// <summary>The algorithm name, e.g. <c>rsa-sha2-512</c>.</summary>
    public string Algorithm { get; }

    /// <summary>
    /// The algorithm's signature bytes: 64 bytes for Ed25519; for ECDSA the inner
    /// <c>mpint r ‖ mpint s</c>; for RSA the PKCS#1 v1.5 signature.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The whole signature blob as it appears in a certificate.</summary>
    public ReadOnlyMemory<byte> Blob { get; }

    /// <summary>Parses a signature blob strictly; the result keeps slices of <paramref name="blob"/>.</summary>
    /// <exception cref="SshFormatException">Malformed, unknown algorithm or trailing bytes.</exception>
    public static SshSignature Parse(ReadOnlyMemory<byte> blob)
    {
        var reader = new SshReader(blob.Span);
        var algorithmName = reader.ReadString("signature algorithm");
        string? algorithm = null;
        foreach (var candidate in SshSignatureAlgorithms.All)
        {
            if (SshKeyAlgorithms.IsAscii(algorithmName, candidate))
            {
                algorithm = candidate;
                break;
            }
        }

        if (algorithm is null)
        {
            return ThrowHelper.Format<SshSignature>("signature algorithm", $"unknown signature algorithm '{SshPublicKey.Printable(algorithmName)}'");
        }

        var (offset, length) = reader.ReadStringRange("signature body");
        var body = blob.Slice(offset, length);
        switch (algorithm)
        {
            case SshSignatureAlgorithms.Ed25519:
                if (length != 64)
                {
                    ThrowHelper.Format("signature body", $"an Ed25519 signature is 64 bytes, got {length}");
                }

                break;
            case SshSignatureAlgorithms.EcdsaP256 or SshSignatureAlgorithms.EcdsaP384 or SshSignatureAlgorithms.EcdsaP521:
                ValidateEcdsaBody(body.Span, EcCurve.FromKeyType(algorithm)!);
                break;
            case SshSignatureAlgorithms.SkEcdsaP256:
                ValidateEcdsaBody(body.Span, EcCurve.NistP256);
                ReadSkTrailer(ref reader);
                break;
            case SshSignatureAlgorithms.SkEd25519:
                if (length != 64)
                {
                    ThrowHelper.Format("signature body", $"an Ed25519 signature is 64 bytes, got {length}");
                }

                ReadSkTrailer(ref reader);
                break;
            default:
                // RSA: the body is the PKCS#1 v1.5 signature, at most the largest modulus.
                if (length == 0 || length > SshLimits.MaxRsaModulusBits / 8)
                {
                    ThrowHelper.Format("signature body", $"an RSA signature of {length} bytes is out of range");
                }

                break;
        }

        reader.EnsureAtEnd("signature");
        return new SshSignature(algorithm, body, blob);
    }

    /// <summary>Builds a signature blob from an algorithm and an already-encoded body.</summary>
    public static SshSignature Create(string algorithm, ReadOnlySpan<byte> body)
    {
        var w = new SshWriter(body.Length + 32);
        w.WriteString(algorithm);
        w.WriteString(body);
        return Parse(w.ToArray());
    }

    /// <summary>The ECDSA signature as fixed-size <c>r ‖ s</c> (each left-padded to the field size).</summary>
    internal byte[] GetEcdsaFixed(EcCurve curve)
    {
        var reader = new SshReader(Body.Span);
        var r = reader.ReadPositiveMpint("r");
        var s = reader.ReadPositiveMpint("s");
        var fixedSize = new byte[2 * curve.FieldSize];
        r.CopyTo(fixedSize.AsSpan(curve.FieldSize - r.Length));
        s.CopyTo(fixedSize.AsSpan((2 * curve.FieldSize) - s.Length));
        return fixedSize;
    }

    private static void ValidateEcdsaBody(ReadOnlySpan<byte> body, EcCurve curve)
    {
        var reader = new SshReader(body);
        var r = reader.ReadPositiveMpint("signature ECDSA r");
        var s = reader.ReadPositiveMpint("signature ECDSA s");
        reader.EnsureAtEnd("signature ECDSA body");
        if (r.IsEmpty || s.IsEmpty)
        {
            ThrowHelper.Format("signature body", "ECDSA r and s must be non-zero");
        }

        if (r.Length > curve.FieldSize || s.Length > curve.FieldSize)
        {
            ThrowHelper.Format("signature body", $"ECDSA r or s is longer than the {curve.Identifier} field");
        }
    }

    private static void ReadSkTrailer(ref SshReader reader)
    {
        reader.ReadByte("signature flags");
        reader.ReadUInt32("signature counter");
    }
}
