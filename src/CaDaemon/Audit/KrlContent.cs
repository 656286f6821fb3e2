namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Everything a KRL is built from: its version and every revoked entry, in the order recorded.</summary>
internal sealed record KrlContent(ulong Version, ulong ChangedAt, IReadOnlyList<RevokedItem> Items);
