namespace SshHsmCa.Policy;

/// <summary>
/// Where a user's key may be used through ssh-agent (issue 30): the hops of OpenSSH's
/// restrict-destination-v00@openssh.com constraint (PROTOCOL.agent §2), each vouched for by the
/// host CA (the hop's host must show a certificate from it naming <see cref="AgentHop.To"/>).
/// </summary>
/// <param name="Hops">The permitted hops, sorted: from the user's machine (From empty) or from a host, to a host.</param>
/// <param name="AllowUnrestricted">An agent that refuses the constraint may get the key unrestricted (the user is told).</param>
public sealed record AgentRestriction(IReadOnlyList<AgentHop> Hops, bool AllowUnrestricted);
