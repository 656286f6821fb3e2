using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy;

/// <summary>The certificate may be issued exactly as <see cref="Template"/> says.</summary>
public sealed record Allow(SshCertificateFields Template, IReadOnlyList<string> MatchedRoles) : PolicyDecision(MatchedRoles);
