namespace SshHsmCa.Ssh.Keys;

/// <summary>An <c>sk-ecdsa-sha2-nistp256@openssh.com</c> security-key public key (PROTOCOL.u2f).</summary>
public sealed class SkEcdsaPublicKey : SshPublicKey
{
    private readonly ReadOnlyMemory<byte> _application;

    internal SkEcdsaPublicKey(ReadOnlyMemory<byte> q, ReadOnlyMemory<byte> application, ReadOnlyMemory<byte> blob)
        : base(blob)
    {
        Q = q;
        _application = application;
    }

    /// <summary>The uncompressed P-256 point.</summary>
    public ReadOnlyMemory<byte> Q { get; }

    /// <summary>The FIDO application (relying party id), usually <c>ssh:</c>.</summary>
    public string Application => SshText.Decode(_application.Span);

    /// <inheritdoc />
    public override string KeyType => SshKeyAlgorithms.SkEcdsaP256;

    /// <inheritdoc />
    public override int SizeInBits => 256;

    /// <inheritdoc />
    public override string DisplayName => "ECDSA-SK";

    /// <inheritdoc />
    public override bool IsSecurityKey => true;

    /// <summary>Creates a key from its parts (point checked, copied).</summary>
    public static SkEcdsaPublicKey Create(ReadOnlySpan<byte> q, string application)
    {
        EcCurve.NistP256.ValidatePoint(q, "EC point");
        return new SkEcdsaPublicKey(q.ToArray(), EncodeApplication(application), default);
    }

    internal static byte[] EncodeApplication(string application)
    {
        ArgumentNullException.ThrowIfNull(application);
        if (application.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("the application must not contain NUL", nameof(application));
        }

        return SshText.Encode(application);
    }

    /// <inheritdoc />
    public override void WriteKeyFields(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString(EcCurve.NistP256.Identifier);
        writer.WriteString(Q.Span);
        writer.WriteString(_application.Span);
    }
}
