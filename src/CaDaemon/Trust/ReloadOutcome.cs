using SshHsmCa.CaDaemon.Failures;

namespace SshHsmCa.CaDaemon.Trust;

/// <summary>Whether a reload is in force, why not, and the trust-set version it left.</summary>
internal sealed record ReloadOutcome(bool Applied, IReadOnlyList<string> Problems, ulong TrustSetVersion)
{
    /// <summary>This outcome when the reload is in force; a refusal that names the problems otherwise.</summary>
    public ReloadOutcome ThrowIfRefused() => Applied
        ? this
        : throw new RefusedException(Refusal.ReloadRefused, "the configuration was refused, the previous CA keys and policy stay in force: " + string.Join("; ", Problems));
}
