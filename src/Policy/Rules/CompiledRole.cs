namespace SshHsmCa.Policy.Rules;

/// <summary>A role after loading: its matchers and grants, all checked.</summary>
internal sealed class CompiledRole
{
    public required string Name { get; init; }

    public required Matcher[] Matchers { get; init; }

    public UserGrantRule? User { get; init; }

    public HostGrantRule? Host { get; init; }

    /// <summary>The operator permissions the role grants.</summary>
    public IReadOnlySet<OperatorRight> Operator { get; init; } = new HashSet<OperatorRight>();

    /// <summary>True when any alternative matches.</summary>
    public bool Matches(CallerIdentity caller)
    {
        foreach (var matcher in Matchers)
        {
            if (matcher.Mismatch(caller, detail: false) is null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why no alternative matched (explanations only).</summary>
    public string Mismatch(CallerIdentity caller) =>
        string.Join("; ", Matchers.Select(m => m.Mismatch(caller, detail: true)).OfType<string>().Distinct(StringComparer.Ordinal));
}
