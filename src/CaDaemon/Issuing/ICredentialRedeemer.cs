using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>Uses a caller's one-time credential once policy has allowed everything it is asked for (<see cref="IssuingPipeline.IssueAllAsync"/>).</summary>
internal interface ICredentialRedeemer
{
    /// <summary>The credential in use (a no-op use for a caller without one); refused as a failure when it was used meanwhile.</summary>
    Task<ICredentialUse> UseAsync(CallerIdentity caller, string sourceAddress, CancellationToken cancellationToken);
}
