namespace SshHsmCa.Ssh.Signatures;

/// <summary>Signature algorithm names (RFC 8709 §6, RFC 5656 §3.1.2, RFC 8332 §3).</summary>
public static class SshSignatureAlgorithms
{
    /// <summary>Ed25519, pure (no pre-hash).</summary>
    public const string Ed25519 = "ssh-ed25519";

    /// <summary>ECDSA P-256 with SHA-256.</summary>
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";

    /// <summary>ECDSA P-384 with SHA-384.</summary>
    public const string EcdsaP384 = "ecdsa-sha2-nistp384";

    /// <summary>ECDSA P-521 with SHA-512.</summary>
    public const string EcdsaP521 = "ecdsa-sha2-nistp521";

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-512: what an RSA CA signs with.</summary>
    public const string RsaSha512 = "rsa-sha2-512";

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    public const string RsaSha256 = "rsa-sha2-256";

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-1: parsed, never accepted (OpenSSH ≥ 8.2 refuses it for certificates).</summary>
    public const string RsaSha1 = "ssh-rsa";

    /// <summary>FIDO ECDSA P-256 signature (PROTOCOL.u2f): parsed, not verified here.</summary>
    public const string SkEcdsaP256 = "sk-ecdsa-sha2-nistp256@openssh.com";

    /// <summary>FIDO Ed25519 signature (PROTOCOL.u2f): parsed, not verified here.</summary>
    public const string SkEd25519 = "sk-ssh-ed25519@openssh.com";

    internal static readonly string[] All =
        [Ed25519, EcdsaP256, EcdsaP384, EcdsaP521, RsaSha512, RsaSha256, RsaSha1, SkEcdsaP256, SkEd25519];
}
