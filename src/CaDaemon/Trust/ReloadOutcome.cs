namespace SshHsmCa.CaDaemon.Trust;

/// <summary>Whether a reload is in force, why not, and the trust-set version it left.</summary>
internal sealed record ReloadOutcome(bool Applied, IReadOnlyList<string> Problems, ulong TrustSetVersion);
