namespace SshHsmCa.Policy.Configuration;

/// <summary>User certificate grants.</summary>
public sealed class UserDocument
{
    /// <summary>Literal principals and templates ({email.local}, {claim:NAME}, {groups}, {unix.user}, {name}).</summary>
    public List<string>? Principals { get; set; }

    /// <summary>Validity.</summary>
    public ValidityDocument? Validity { get; set; }

    /// <summary>force-command rules (absent: the request may add any command).</summary>
    public ForceCommandDocument? ForceCommand { get; set; }

    /// <summary>source-address rules (absent: the request may add any list).</summary>
    public SourceAddressDocument? SourceAddress { get; set; }

    /// <summary>Force verify-required on security-key subject keys.</summary>
    public bool VerifyRequiredForSecurityKeys { get; set; }

    /// <summary>Custom critical options the request may carry: name → allowed values (empty list: flag only).</summary>
    public Dictionary<string, List<string>>? CustomCriticalOptions { get; set; }

    /// <summary>Extensions.</summary>
    public ExtensionsDocument? Extensions { get; set; }

    /// <summary>Subject key rules.</summary>
    public KeysDocument? Keys { get; set; }

    /// <summary>ssh-agent destination constraints for the keys login adds (absent: unrestricted).</summary>
    public AgentDocument? Agent { get; set; }
}
