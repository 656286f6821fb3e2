using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Keys;

/// <summary>
/// A NIST prime curve as OpenSSH names it (RFC 5656), with what is needed to check a point and
/// to pick the hash that goes with the curve.
/// </summary>
public sealed class EcCurve
{
    private readonly BigInteger _p;
    private readonly BigInteger _b;

    private EcCurve(string identifier, string keyType, int fieldSize, HashAlgorithmName hash, ECCurve dotnetCurve, string oid, string p, string b)
    {
        Identifier = identifier;
        KeyType = keyType;
        FieldSize = fieldSize;
        Hash = hash;
        DotNetCurve = dotnetCurve;
        Oid = oid;
        _p = BigInteger.Parse("0" + p, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _b = BigInteger.Parse("0" + b, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>NIST P-256 (secp256r1, prime256v1).</summary>
    public static EcCurve NistP256 { get; } = new(
        "nistp256", SshKeyAlgorithms.EcdsaP256, 32, HashAlgorithmName.SHA256, ECCurve.NamedCurves.nistP256, "1.2.840.10045.3.1.7",
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");

    /// <summary>NIST P-384 (secp384r1).</summary>
    public static EcCurve NistP384 { get; } = new(
        "nistp384", SshKeyAlgorithms.EcdsaP384, 48, HashAlgorithmName.SHA384, ECCurve.NamedCurves.nistP384, "1.3.132.0.34",
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef");

    /// <summary>NIST P-521 (secp521r1).</summary>
    public static EcCurve NistP521 { get; } = new(
        "nistp521", SshKeyAlgorithms.EcdsaP521, 66, HashAlgorithmName.SHA512, ECCurve.NamedCurves.nistP521, "1.3.132.0.35",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00");

    /// <summary>The curve's SSH identifier, e.g. <c>nistp256</c>.</summary>
    public string Identifier { get; }

    /// <summary>The SSH key type, e.g. <c>ecdsa-sha2-nistp256</c>.</summary>
    public string KeyType { get; }

    /// <summary>Bytes in one coordinate (32, 48, 66).</summary>
    public int FieldSize { get; }

    /// <summary>Bits in the curve order, as <c>ssh-keygen -l</c> prints the key size.</summary>
    public int Bits => FieldSize == 66 ? 521 : FieldSize * 8;

    /// <summary>The hash RFC 5656 §6.2.1 fixes for this curve.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>The curve for System.Security.Cryptography.</summary>
    public ECCurve DotNetCurve { get; }

    /// <summary>The curve's object identifier (as in PKCS#11 CKA_EC_PARAMS).</summary>
    public string Oid { get; }

    /// <summary>Length of an uncompressed SEC1 point.</summary>
    public int PointLength => 1 + (2 * FieldSize);

    /// <summary>Every curve, in size order.</summary>
    public static IReadOnlyList<EcCurve> All { get; } = [NistP256, NistP384, NistP521];

    /// <summary>Finds a curve by its SSH identifier bytes; null when unknown.</summary>
    public static EcCurve? FromIdentifier(ReadOnlySpan<byte> identifier)
    {
        foreach (var curve in All)
        {
            if (SshKeyAlgorithms.IsAscii(identifier, curve.Identifier))
            {
                return curve;
            }
        }

        return null;
    }

    /// <summary>Finds a curve by its SSH key type; null when unknown.</summary>
    public static EcCurve? FromKeyType(string keyType) => All.FirstOrDefault(c => string.Equals(c.KeyType, keyType, StringComparison.Ordinal));

    /// <summary>
    /// Checks an uncompressed SEC1 point: the 0x04 form, both coordinates below p and
    /// y² = x³ − 3x + b (mod p). These curves have cofactor 1, so a point on the curve that is not
    /// the point at infinity (which has no affine form) has the full prime order, as
    /// sshkey_ec_validate_public requires.
    /// </summary>
    public void ValidatePoint(ReadOnlySpan<byte> point, string field)
    {
        if (point.Length != PointLength)
        {
            ThrowHelper.Format(field, $"{Identifier} point must be {PointLength} bytes, got {point.Length}");
        }

        if (point[0] != 0x04)
        {
            ThrowHelper.Format(field, $"{Identifier} point must be uncompressed (0x04), got 0x{point[0]:x2}");
        }

        var x = new BigInteger(point.Slice(1, FieldSize), isUnsigned: true, isBigEndian: true);
        var y = new BigInteger(point.Slice(1 + FieldSize, FieldSize), isUnsigned: true, isBigEndian: true);
        if (x >= _p || y >= _p)
        {
            ThrowHelper.Format(field, $"{Identifier} point coordinate is not below the field prime");
        }

        // x and y are below p, so x³ − 3x + b + 3p is positive and one remainder suffices.
        var left = y * y % _p;
        var right = ((((x * x) - 3) * x) + _b + (3 * _p)) % _p;
        if (left != right)
        {
            ThrowHelper.Format(field, $"point is not on the {Identifier} curve");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Identifier;
}
