namespace SshHsmCa.Policy;

/// <summary>The certificate may be issued exactly as <see cref="Template"/> says.</summary>
public sealed record Allow(CertificateTemplate Template, IReadOnlyList<string> MatchedRoles) : PolicyDecision(MatchedRoles);
