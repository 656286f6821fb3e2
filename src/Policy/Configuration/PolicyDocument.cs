namespace SshHsmCa.Policy.Configuration;

/// <summary>The policy file.</summary>
public sealed class PolicyDocument
{
    /// <summary>Key id format; placeholders {caller} {method} {type} {principals} {requestId} {roles}.</summary>
    public string? KeyIdFormat { get; set; }

    /// <summary>The roles.</summary>
    public List<RoleDocument>? Roles { get; set; }
}
