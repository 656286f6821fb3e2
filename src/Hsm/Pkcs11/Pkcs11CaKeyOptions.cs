namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>How to reach a CA key on a PKCS#11 token. The PIN is passed separately, never here.</summary>
public sealed class Pkcs11CaKeyOptions
{
    /// <summary>RFC 7512 URI naming the token and the key, e.g. <c>pkcs11:token=ca;object=user-ca?module-path=/usr/lib/softhsm/libsofthsm2.so</c>.</summary>
    public required string Uri { get; init; }

    /// <summary>The module when the URI has no <c>module-path</c>.</summary>
    public string? ModulePath { get; init; }

    /// <summary>
    /// Sessions in the pool: signatures in flight at once, bounded by the token's session limit.
    /// Null: chosen by <see cref="Pkcs11PoolSizing"/> (the core count for a module that computes,
    /// more for one that waits for a network HSM).
    /// </summary>
    public int? PoolSize { get; init; }

    /// <summary>Deadline for one signature, including waiting for a free session.</summary>
    public TimeSpan SignTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>For RSA keys: <c>rsa-sha2-512</c> (default) or <c>rsa-sha2-256</c>. Never <c>ssh-rsa</c>.</summary>
    public string RsaSignatureAlgorithm { get; init; } = Ssh.Signatures.SshSignatureAlgorithms.RsaSha512;

    /// <summary>
    /// The public key the operator expects on the token: an OpenSSH public key line or a
    /// <c>SHA256:</c> fingerprint. When set, opening fails with <see cref="HsmErrorKind.KeyMismatch"/>
    /// if the token holds another key.
    /// </summary>
    public string? ExpectedPublicKey { get; init; }
}
