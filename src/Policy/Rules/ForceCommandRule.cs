namespace SshHsmCa.Policy.Rules;

/// <summary>force-command: commands a request may ask, and one applied when it asks none.</summary>
internal sealed record ForceCommandRule(HashSet<string> Allowed, string? Forced);
