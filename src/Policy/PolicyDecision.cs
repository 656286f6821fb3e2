namespace SshHsmCa.Policy;

/// <summary>The outcome of a policy evaluation: a value, never an exception.</summary>
public abstract record PolicyDecision(IReadOnlyList<string> MatchedRoles)
{
    /// <summary>True for <see cref="Allow"/>.</summary>
    public bool IsAllowed => this is Allow;
}
