namespace SshHsmCa.CaDaemon.Audit;

/// <summary>What a KRL entry revokes.</summary>
internal enum RevokedKind
{
    /// <summary>Certificates by serial (a range), for one CA.</summary>
    Serial,

    /// <summary>A key, by its blob, and every certificate of it.</summary>
    Key,

    /// <summary>A key by the SHA256 fingerprint of its blob.</summary>
    KeySha256,

    /// <summary>A CA key, and so every certificate it signed.</summary>
    CaKey,
}
