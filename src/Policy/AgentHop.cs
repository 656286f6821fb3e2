namespace SshHsmCa.Policy;

/// <summary>One permitted hop: from the user's machine (<see cref="From"/> empty) or from a host, to a host (literal names).</summary>
public sealed record AgentHop(string From, string To);
