using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// Everything a KRL version is built from: its version, the time of its last change, every
/// revoked entry in the order recorded, and the revoked serials whose certificates had expired
/// more than <see cref="ExpiryMargin"/> seconds before that time (left out of the KRL: sshd refuses
/// them as expired already, and every entry costs every login the time to read it).
/// </summary>
internal sealed record KrlContent(ulong Version, ulong ChangedAt, IReadOnlyList<RevokedItem> Items, IReadOnlyList<(SshCertificateType Ca, ulong Serial)> Expired)
{
    /// <summary>A day: a host whose clock is that far behind would still refuse an expired certificate it no longer finds revoked only after that.</summary>
    public const ulong ExpiryMargin = 86400;

    /// <summary>
    /// The latest trust set, read with the rest (every CA key in force on any appliance: revoked
    /// serials are listed under each), or null before the first trust set.
    /// </summary>
    public TrustSetRecord? Trust { get; init; }
}
