namespace SshHsmCa.Policy.Rules;

/// <summary>A role's validity window rules.</summary>
internal sealed record ValidityRule(TimeSpan Default, TimeSpan Max, TimeSpan Min, TimeSpan Backdate, bool CapAtCredentialExpiry);
