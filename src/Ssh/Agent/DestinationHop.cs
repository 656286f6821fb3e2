using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Agent;

/// <summary>One parsed destination constraint: from (empty host: the agent's own machine) to a user and host, each with its keys.</summary>
public sealed record DestinationHop(string FromHost, IReadOnlyList<(SshPublicKey Key, bool IsCa)> FromKeys, string ToUser, string ToHost, IReadOnlyList<(SshPublicKey Key, bool IsCa)> ToKeys);
