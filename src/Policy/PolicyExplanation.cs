namespace SshHsmCa.Policy;

/// <summary>The dry run: the decision and, for every role, whether it matched and what it gave.</summary>
public sealed record PolicyExplanation(PolicyDecision Decision, IReadOnlyList<RoleExplanation> Roles);
