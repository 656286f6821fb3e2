namespace SshHsmCa.Policy.Rules;

/// <summary>A role after loading: its matchers and grants, all checked.</summary>
internal sealed class CompiledRole
{
    public required string Name { get; init; }

    public required Matcher[] Matchers { get; init; }

    public UserGrantRule? User { get; init; }

    public HostGrantRule? Host { get; init; }

    /// <summary>Null when the caller matches; otherwise why no alternative matched.</summary>
    public string? Mismatch(CallerIdentity caller)
    {
        var reasons = new List<string>();
        foreach (var matcher in Matchers)
        {
            var why = matcher.Mismatch(caller);
            if (why is null)
            {
                return null;
            }

            reasons.Add(why);
        }

        return string.Join("; ", reasons.Distinct(StringComparer.Ordinal));
    }
}
