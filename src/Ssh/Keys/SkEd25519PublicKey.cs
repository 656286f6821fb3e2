namespace SshHsmCa.Ssh.Keys;

/// <summary>An <c>sk-ssh-ed25519@openssh.com</c> security-key public key (PROTOCOL.u2f).</summary>
public sealed class SkEd25519PublicKey : SshPublicKey
{
    private readonly ReadOnlyMemory<byte> _application;

    internal SkEd25519PublicKey(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> application, ReadOnlyMemory<byte> blob)
        : base(blob)
    {
        PublicKey = publicKey;
        _application = application;
    }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The FIDO application (relying party id), usually <c>ssh:</c>.</summary>
    public string Application => SshText.Decode(_application.Span);

    /// <inheritdoc />
    public override string KeyType => SshKeyAlgorithms.SkEd25519;

    /// <inheritdoc />
    public override int SizeInBits => 256;

    /// <inheritdoc />
    public override string DisplayName => "ED25519-SK";

    /// <inheritdoc />
    public override bool IsSecurityKey => true;

    /// <summary>Creates a key from its parts (copied).</summary>
    public static SkEd25519PublicKey Create(ReadOnlySpan<byte> publicKey, string application)
    {
        if (publicKey.Length != Ed25519PublicKey.KeyLength)
        {
            throw new ArgumentException($"an Ed25519 public key is 32 bytes, got {publicKey.Length}", nameof(publicKey));
        }

        return new SkEd25519PublicKey(publicKey.ToArray(), SkEcdsaPublicKey.EncodeApplication(application), default);
    }

    /// <inheritdoc />
    public override void WriteKeyFields(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(PublicKey.Span);
        writer.WriteString(_application.Span);
    }
}
