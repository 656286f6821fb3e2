using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Trust;

/// <summary>
/// Re-reads the configuration, the policy and the CA keys, checked as a start, and puts them in
/// force whole or not at all (ReloadConfiguration, SIGHUP); a change of key states publishes a new
/// trust set.
/// </summary>
internal interface IConfigurationReloader
{
    /// <summary>Reloads now; <paramref name="by"/> is the operator who asked (null: SIGHUP).</summary>
    Task<ReloadOutcome> ReloadAsync(CallerIdentity? by, CancellationToken cancellationToken);
}
