namespace SshHsmCa.Policy.Rules;

/// <summary>What a role grants for user certificates, compiled.</summary>
internal sealed class UserGrantRule
{
    public required PrincipalTemplate[] Principals { get; init; }

    public required ValidityRule Validity { get; init; }

    /// <summary>Null: no restriction (a request may add any command).</summary>
    public required ForceCommandRule? ForceCommand { get; init; }

    /// <summary>Null: no restriction (a request may add any list).</summary>
    public required SourceAddressRule? SourceAddress { get; init; }

    public required bool VerifyRequiredForSecurityKeys { get; init; }

    /// <summary>Custom critical option name → allowed values (empty: flag only).</summary>
    public required Dictionary<string, HashSet<string>> CustomCriticalOptions { get; init; }

    public required HashSet<string> ExtensionsAllowed { get; init; }

    public required HashSet<string> ExtensionsDefault { get; init; }

    public required KeyRule Keys { get; init; }

    /// <summary>The agent restriction of this role's keys, or null for none.</summary>
    public AgentRestriction? Agent { get; init; }
}
