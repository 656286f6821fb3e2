using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy;

/// <summary>The certificate may be issued exactly as <see cref="Template"/> says.</summary>
public sealed record Allow(SshCertificateFields Template, IReadOnlyList<string> MatchedRoles) : PolicyDecision(MatchedRoles)
{
    /// <summary>
    /// Where the key may be used through ssh-agent (issue 30), for login to set as the agent's
    /// destination constraint; null when no applicable role restricts it.
    /// </summary>
    public AgentRestriction? Agent { get; init; }
}
