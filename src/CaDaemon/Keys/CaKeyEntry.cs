using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Keys;

/// <summary>
/// One key of a CA's key set: its configured name, its state and public key, and for next and
/// active keys the opened device key (retired and revoked keys are public keys only).
/// </summary>
internal sealed record CaKeyEntry(string Name, SshCertificateType Ca, CaKeyState State, SshPublicKey PublicKey, ICaKey? Device)
{
    /// <summary>Where the device key was opened from (its URI), to reuse it across reloads; null for a public key alone.</summary>
    public string? Uri { get; init; }

    /// <summary>For a revoked key: why (recorded with the revocation the daemon makes of it).</summary>
    public string? RevocationReason { get; init; }

    /// <summary>The key's SHA256 fingerprint.</summary>
    public string Fingerprint { get; } = PublicKey.GetSha256Fingerprint();
}
