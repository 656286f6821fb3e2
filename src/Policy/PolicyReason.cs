namespace SshHsmCa.Policy;

/// <summary>One reason for a denial: a stable code, the request field, a sentence for an operator.</summary>
public sealed record PolicyReason(string Code, string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code} ({Field}): {Message}";
}
