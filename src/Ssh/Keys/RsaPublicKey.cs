using System.Numerics;
using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Keys;

/// <summary>An <c>ssh-rsa</c> public key (RFC 4253 §6.6). The size is read exactly from the modulus.</summary>
public sealed class RsaPublicKey : SshPublicKey
{
    private Signatures.AlgorithmPool<RSA>? _verifiers;

    internal RsaPublicKey(ReadOnlyMemory<byte> exponent, ReadOnlyMemory<byte> modulus, ReadOnlyMemory<byte> blob, string field)
        : base(blob)
    {
        var n = modulus.Span;
        if (n.IsEmpty || (n[^1] & 1) == 0)
        {
            ThrowHelper.Format($"{field} RSA modulus", "must be odd and non-zero");
        }

        var e = exponent.Span;
        if (e.IsEmpty || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            ThrowHelper.Format($"{field} RSA exponent", "must be odd and at least 3");
        }

        if (e.Length > n.Length)
        {
            ThrowHelper.Format($"{field} RSA exponent", "is larger than the modulus");
        }

        // Bits of a minimal big-endian magnitude: whole bytes after the first, plus the first's.
        SizeInBits = ((n.Length - 1) * 8) + (32 - BitOperations.LeadingZeroCount((uint)n[0]));
        if (SizeInBits is < SshLimits.MinRsaModulusBits or > SshLimits.MaxRsaModulusBits)
        {
            ThrowHelper.Format($"{field} RSA modulus", $"{SizeInBits} bits is outside {SshLimits.MinRsaModulusBits}..{SshLimits.MaxRsaModulusBits}");
        }

        Exponent = exponent;
        Modulus = modulus;
    }

    /// <summary>The public exponent, unsigned big-endian without leading zeros.</summary>
    public ReadOnlyMemory<byte> Exponent { get; }

    /// <summary>The modulus, unsigned big-endian without leading zeros.</summary>
    public ReadOnlyMemory<byte> Modulus { get; }

    /// <summary>Length of the modulus (and of every signature) in bytes.</summary>
    public int ModulusLength => Modulus.Length;

    /// <inheritdoc />
    public override string KeyType => SshKeyAlgorithms.Rsa;

    /// <inheritdoc />
    public override int SizeInBits { get; }

    /// <inheritdoc />
    public override string DisplayName => "RSA";

    /// <summary>Creates a key from unsigned big-endian exponent and modulus (copied).</summary>
    /// <exception cref="SshFormatException">The numbers are not a usable RSA public key.</exception>
    public static RsaPublicKey Create(ReadOnlySpan<byte> exponent, ReadOnlySpan<byte> modulus) =>
        new(exponent.TrimStart((byte)0).ToArray(), modulus.TrimStart((byte)0).ToArray(), default, "RSA key");

    /// <summary>Creates a key from .NET RSA parameters.</summary>
    public static RsaPublicKey FromParameters(RSAParameters parameters) =>
        Create(parameters.Exponent ?? throw new ArgumentException("no exponent", nameof(parameters)), parameters.Modulus ?? throw new ArgumentException("no modulus", nameof(parameters)));

    /// <summary>The key as .NET RSA parameters, for verification.</summary>
    public RSAParameters ToParameters() => new() { Exponent = Exponent.ToArray(), Modulus = Modulus.ToArray() };

    /// <summary>Imported instances for verification, created on first use.</summary>
    internal Signatures.AlgorithmPool<RSA> Verifiers =>
        _verifiers ?? Interlocked.CompareExchange(ref _verifiers, new(() => RSA.Create(ToParameters())), null) ?? _verifiers;

    /// <inheritdoc />
    public override void WriteKeyFields(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);

        // RFC 4253 §6.6: e before n (the agent protocol is the one that puts n first).
        writer.WriteMpint(Exponent.Span);
        writer.WriteMpint(Modulus.Span);
    }
}
