namespace SshHsmCa.Policy;

/// <summary>Nothing may be issued; every reason is listed (never empty).</summary>
public sealed record Deny(IReadOnlyList<PolicyReason> Reasons, IReadOnlyList<string> MatchedRoles) : PolicyDecision(MatchedRoles);
