namespace SshHsmCa.Policy;

/// <summary>One problem in a policy file: the JSON path and what is wrong there.</summary>
public sealed record PolicyLoadError(string Path, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Problem}";
}
