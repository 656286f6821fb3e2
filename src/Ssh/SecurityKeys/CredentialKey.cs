using System.Formats.Cbor;

namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>
/// An attested credential public key (a COSE_Key, RFC 9052/9053): EC2 P-256 with ES256 (kty 2,
/// alg -7, crv 1, x and y of 32 bytes) or OKP Ed25519 with EdDSA (kty 1, alg -8, crv 6, x of 32
/// bytes), the two key types OpenSSH enrolls. Any other label or value is refused.
/// </summary>
public sealed class CredentialKey
{
    private CredentialKey(bool isEd25519, byte[] x, byte[]? y)
    {
        IsEd25519 = isEd25519;
        X = x;
        Y = y;
    }

    /// <summary>True for Ed25519, false for P-256.</summary>
    public bool IsEd25519 { get; }

    /// <summary>The x coordinate (P-256) or the public key (Ed25519).</summary>
    public ReadOnlyMemory<byte> X { get; }

    /// <summary>The y coordinate (P-256 only).</summary>
    public ReadOnlyMemory<byte>? Y { get; }

    /// <summary>The uncompressed point 0x04 ‖ x ‖ y of a P-256 key.</summary>
    public byte[] UncompressedPoint() => Y is { } y ? [0x04, .. X.Span, .. y.Span] : throw new InvalidOperationException("an Ed25519 key has no EC point");

    internal static CredentialKey Read(CborReader cbor)
    {
        const string Field = "credential public key";
        var count = cbor.ReadStartMap() ?? throw new SshFormatException(Field, "an indefinite-length map");
        if (count is < 4 or > 5)
        {
            throw new SshFormatException(Field, $"a COSE key of {count} entries");
        }

        long? kty = null, alg = null, crv = null;
        byte[]? x = null, y = null;
        for (var i = 0; i < count; i++)
        {
            var label = cbor.ReadInt64();
            switch (label)
            {
                case 1: kty = cbor.ReadInt64(); break;
                case 3: alg = cbor.ReadInt64(); break;
                case -1: crv = cbor.ReadInt64(); break;
                case -2: x = cbor.ReadByteString(); break;
                case -3: y = cbor.ReadByteString(); break;
                default: throw new SshFormatException(Field, $"unexpected COSE label {label}");
            }
        }

        cbor.ReadEndMap();
        return (kty, alg, crv) switch
        {
            (2, -7, 1) when x is { Length: 32 } && y is { Length: 32 } && count == 5 => new CredentialKey(false, x, y),
            (1, -8, 6) when x is { Length: 32 } && y is null && count == 4 => new CredentialKey(true, x, null),
            _ => throw new SshFormatException(Field, $"not a P-256 ES256 or Ed25519 EdDSA COSE key (kty {kty}, alg {alg}, crv {crv})"),
        };
    }
}
