namespace SshHsmCa.Policy.Configuration;

/// <summary>A role: who it matches and what it grants.</summary>
public sealed class RoleDocument
{
    /// <summary>Unique name.</summary>
    public string? Name { get; set; }

    /// <summary>Alternatives: the role matches a caller when any of them does.</summary>
    public List<MatchDocument>? Match { get; set; }

    /// <summary>What the role grants for user certificates (absent: none).</summary>
    public UserDocument? User { get; set; }

    /// <summary>What the role grants for host certificates (absent: none).</summary>
    public HostDocument? Host { get; set; }

    /// <summary>Operator permissions the role grants (<c>tokens</c>, <c>audit</c>, <c>batch</c>, <c>ceremony</c>, <c>revoke</c>; absent: none).</summary>
    public List<string>? Operator { get; set; }
}
