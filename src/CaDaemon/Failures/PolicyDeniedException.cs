using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Failures;

/// <summary>The policy refused (a certificate, or an operator right).</summary>
internal sealed class PolicyDeniedException(Deny deny) : CaFailure("denied by policy: " + string.Join("; ", deny.Reasons.Select(r => r.Message)))
{
    /// <summary>The policy's decision, with every reason.</summary>
    public Deny Deny { get; } = deny;
}
