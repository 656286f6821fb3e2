namespace SshHsmCa.Ssh.Keys;

/// <summary>An <c>ssh-ed25519</c> public key: 32 bytes (RFC 8709).</summary>
public sealed class Ed25519PublicKey : SshPublicKey
{
    private static readonly object Refused = new();
    private object? _nsecKey;

    /// <summary>Length of an Ed25519 public key.</summary>
    public const int KeyLength = 32;

    internal Ed25519PublicKey(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> blob)
        : base(blob)
    {
        PublicKey = publicKey;
    }

    /// <summary>The 32-byte public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The key imported for verification, once (a CA key is verified against many times).</summary>
    internal NSec.Cryptography.PublicKey? NSecKey
    {
        get
        {
            // One reference, published atomically; two threads racing import the same key twice, harmlessly.
            var cached = Volatile.Read(ref _nsecKey);
            if (cached is null)
            {
                cached = (object?)Signatures.Ed25519.Import(PublicKey.Span) ?? Refused;
                Volatile.Write(ref _nsecKey, cached);
            }

            return cached as NSec.Cryptography.PublicKey;
        }
    }

    /// <inheritdoc />
    public override string KeyType => SshKeyAlgorithms.Ed25519;

    /// <inheritdoc />
    public override int SizeInBits => 256;

    /// <inheritdoc />
    public override string DisplayName => "ED25519";

    /// <summary>Creates a key from its 32 bytes (copied).</summary>
    public static Ed25519PublicKey Create(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != KeyLength)
        {
            throw new ArgumentException($"an Ed25519 public key is 32 bytes, got {publicKey.Length}", nameof(publicKey));
        }

        return new Ed25519PublicKey(publicKey.ToArray(), default);
    }

    /// <inheritdoc />
    public override void WriteKeyFields(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(PublicKey.Span);
    }
}
