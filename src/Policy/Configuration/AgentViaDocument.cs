namespace SshHsmCa.Policy.Configuration;

/// <summary>From a host the agent is forwarded to, the hosts it may be used for.</summary>
public sealed class AgentViaDocument
{
    /// <summary>The host the agent is forwarded to (for example a bastion).</summary>
    public string? From { get; set; }

    /// <summary>The hosts reachable from there with the key.</summary>
    public List<string>? To { get; set; }
}
