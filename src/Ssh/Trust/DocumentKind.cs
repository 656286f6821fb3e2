namespace SshHsmCa.Ssh.Trust;

/// <summary>What a signed document is: a trust set or a KRL.</summary>
public enum DocumentKind
{
    /// <summary>A <see cref="Trust.TrustSet"/> (namespace trust@ssh-hsm-ca).</summary>
    TrustSet,

    /// <summary>An OpenSSH KRL (namespace krl@ssh-hsm-ca).</summary>
    Krl,
}
