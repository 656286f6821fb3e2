using System.Numerics;
using System.Security.Cryptography;

namespace SshHsmCa.VirtualCards;

/// <summary>A private key in a slot of the virtual card, with its policies.</summary>
public sealed class SlotKey
{
    private readonly ECDsa? _ec;
    private readonly BigInteger _d;
    private readonly BigInteger _n;
    private readonly byte[]? _ed25519Seed;

    private SlotKey(byte algorithm, byte pinPolicy, byte touchPolicy, byte origin, ECDsa? ec, RSAParameters? rsa, byte[]? ed25519Seed)
    {
        Algorithm = algorithm;
        PinPolicy = pinPolicy;
        TouchPolicy = touchPolicy;
        Origin = origin;
        _ec = ec;
        _ed25519Seed = ed25519Seed;
        if (rsa is { } p)
        {
            _d = new BigInteger(p.D, isUnsigned: true, isBigEndian: true);
            _n = new BigInteger(p.Modulus, isUnsigned: true, isBigEndian: true);
            Modulus = p.Modulus!;
            Exponent = p.Exponent!;
        }
    }

    /// <summary>PIV algorithm id.</summary>
    public byte Algorithm { get; }

    /// <summary>1 never, 2 once, 3 always.</summary>
    public byte PinPolicy { get; }

    /// <summary>1 never, 2 always, 3 cached.</summary>
    public byte TouchPolicy { get; }

    /// <summary>1 generated, 2 imported.</summary>
    public byte Origin { get; }

    /// <summary>RSA modulus (RSA keys).</summary>
    public byte[] Modulus { get; } = [];

    /// <summary>RSA public exponent (RSA keys).</summary>
    public byte[] Exponent { get; } = [];

    /// <summary>The EC key (EC keys), for attestation certificates.</summary>
    public ECDsa? Ec => _ec;

    /// <summary>Ed25519 public key (Ed25519 keys).</summary>
    public byte[] Ed25519Public { get; private init; } = [];

    /// <summary>Generates a key on the card.</summary>
    public static SlotKey Generate(byte algorithm, byte pinPolicy, byte touchPolicy)
    {
        switch (algorithm)
        {
            case 0x11:
                return new SlotKey(algorithm, pinPolicy, touchPolicy, 1, ECDsa.Create(ECCurve.NamedCurves.nistP256), null, null);
            case 0x14:
                return new SlotKey(algorithm, pinPolicy, touchPolicy, 1, ECDsa.Create(ECCurve.NamedCurves.nistP384), null, null);
            case 0x06 or 0x07 or 0x05 or 0x16:
                using (var rsa = RSA.Create(algorithm switch { 0x06 => 1024, 0x07 => 2048, 0x05 => 3072, _ => 4096 }))
                {
                    return new SlotKey(algorithm, pinPolicy, touchPolicy, 1, null, rsa.ExportParameters(true), null);
                }

            case 0xE0:
                var seed = RandomNumberGenerator.GetBytes(32);
                var pub = new byte[32];
                Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, pub, 0);
                return new SlotKey(algorithm, pinPolicy, touchPolicy, 1, null, null, seed) { Ed25519Public = pub };
            default:
                throw new NotSupportedException($"algorithm {algorithm:X2}");
        }
    }

    /// <summary>Imports a P-256 or P-384 private scalar (origin "imported").</summary>
    public static SlotKey ImportEc(byte algorithm, byte[] scalar, byte pinPolicy, byte touchPolicy)
    {
        var curve = algorithm == 0x11 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;
        var ec = ECDsa.Create(new ECParameters { Curve = curve, D = scalar });
        var full = ec.ExportParameters(true);
        ec.Dispose();
        return new SlotKey(algorithm, pinPolicy, touchPolicy, 2, ECDsa.Create(full), null, null);
    }

    /// <summary>The public key as the card encodes it inside 7F49 or metadata tag 04 (86 point, or 81 n 82 e).</summary>
    public byte[] PublicKeyTlvs() => Algorithm switch
    {
        0x11 or 0x14 => Card.Tlv(0x86, Point()),
        0xE0 => Card.Tlv(0x86, Ed25519Public),
        _ => [.. Card.Tlv(0x81, Modulus), .. Card.Tlv(0x82, Exponent)],
    };

    /// <summary>The uncompressed EC point.</summary>
    public byte[] Point()
    {
        var q = _ec!.ExportParameters(false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    /// <summary>The private-key operation: ECDSA over a hash (DER), raw RSA, or Ed25519 over the message. Null when the input is refused.</summary>
    public byte[]? Operate(ReadOnlySpan<byte> input)
    {
        switch (Algorithm)
        {
            case 0x11 or 0x14:
                var size = Algorithm == 0x11 ? 32 : 48;
                if (input.Length != size)
                {
                    return null;
                }

                return _ec!.SignHash(input.ToArray(), DSASignatureFormat.Rfc3279DerSequence);
            case 0xE0:
                var signature = new byte[64];
                Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(_ed25519Seed!, 0, input.ToArray(), 0, input.Length, signature, 0);
                return signature;
            default:
                if (input.Length != Modulus.Length)
                {
                    return null;
                }

                var m = new BigInteger(input, isUnsigned: true, isBigEndian: true);
                if (m >= _n)
                {
                    return null;
                }

                var s = BigInteger.ModPow(m, _d, _n).ToByteArray(isUnsigned: true, isBigEndian: true);
                var result = new byte[Modulus.Length];
                s.CopyTo(result, result.Length - s.Length);
                return result;
        }
    }
}
