
namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The result of using a bootstrap token: the bound host names, or why not.</summary>
internal sealed record BootstrapRedemption(IReadOnlyList<string>? HostNames, string? Refusal)
{
    /// <summary>True when the token was good and is now used.</summary>
    public bool Accepted => HostNames is not null;
}
