using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Keys;

/// <summary>An <c>ecdsa-sha2-nistp256/384/521</c> public key (RFC 5656), point checked on the curve.</summary>
public sealed class EcdsaPublicKey : SshPublicKey
{
    private Signatures.AlgorithmPool<ECDsa>? _verifiers;

    internal EcdsaPublicKey(EcCurve curve, ReadOnlyMemory<byte> q, ReadOnlyMemory<byte> blob)
        : base(blob)
    {
        Curve = curve;
        Q = q;
    }

    /// <summary>The curve.</summary>
    public EcCurve Curve { get; }

    /// <summary>The uncompressed SEC1 point <c>04 ‖ X ‖ Y</c>.</summary>
    public ReadOnlyMemory<byte> Q { get; }

    /// <inheritdoc />
    public override string KeyType => Curve.KeyType;

    /// <inheritdoc />
    public override int SizeInBits => Curve.Bits;

    /// <inheritdoc />
    public override string DisplayName => "ECDSA";

    /// <summary>Creates a key from an uncompressed point (checked on the curve, copied).</summary>
    /// <exception cref="SshFormatException">The point is not a valid point of the curve.</exception>
    public static EcdsaPublicKey Create(EcCurve curve, ReadOnlySpan<byte> q)
    {
        ArgumentNullException.ThrowIfNull(curve);
        curve.ValidatePoint(q, "EC point");
        return new EcdsaPublicKey(curve, q.ToArray(), default);
    }

    /// <summary>Creates a key from .NET EC parameters (a named NIST curve).</summary>
    public static EcdsaPublicKey FromParameters(ECParameters parameters)
    {
        var curve = EcCurve.All.FirstOrDefault(c => string.Equals(c.DotNetCurve.Oid.Value, parameters.Curve.Oid.Value, StringComparison.Ordinal))
            ?? throw new ArgumentException($"curve {parameters.Curve.Oid.FriendlyName} is not nistp256/384/521", nameof(parameters));
        var q = new byte[curve.PointLength];
        q[0] = 0x04;
        parameters.Q.X!.CopyTo(q.AsSpan(1 + curve.FieldSize - parameters.Q.X!.Length));
        parameters.Q.Y!.CopyTo(q.AsSpan(1 + (2 * curve.FieldSize) - parameters.Q.Y!.Length));
        return Create(curve, q);
    }

    /// <summary>The key as .NET EC parameters, for verification.</summary>
    public ECParameters ToParameters() => new()
    {
        Curve = Curve.DotNetCurve,
        Q = new ECPoint
        {
            X = Q.Span.Slice(1, Curve.FieldSize).ToArray(),
            Y = Q.Span.Slice(1 + Curve.FieldSize, Curve.FieldSize).ToArray(),
        },
    };

    /// <summary>Imported instances for verification, created on first use.</summary>
    internal Signatures.AlgorithmPool<ECDsa> Verifiers =>
        _verifiers ?? Interlocked.CompareExchange(ref _verifiers, new(() => ECDsa.Create(ToParameters())), null) ?? _verifiers;

    /// <inheritdoc />
    public override void WriteKeyFields(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(Curve.Identifier);
        writer.WriteString(Q.Span);
    }
}
