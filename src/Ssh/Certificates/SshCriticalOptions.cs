namespace SshHsmCa.Ssh.Certificates;

/// <summary>The standard critical options (PROTOCOL.certkeys, "Critical options") and typed constructors for them.</summary>
public static class SshCriticalOptions
{
    /// <summary>The command sshd runs instead of the one requested.</summary>
    public const string ForceCommandName = "force-command";

    /// <summary>The source addresses the certificate may be used from.</summary>
    public const string SourceAddress = "source-address";

    /// <summary>Security keys must have verified the user (PIN or biometric). OpenSSH 8.4+.</summary>
    public const string VerifyRequiredName = "verify-required";

    /// <summary><c>force-command</c> with a command.</summary>
    public static SshOption ForceCommand(string command)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return SshOption.WithValue(ForceCommandName, command);
    }

    /// <summary><c>source-address</c> with a validated list.</summary>
    public static SshOption SourceAddresses(SourceAddressList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return SshOption.WithValue(SourceAddress, list.Text);
    }

    /// <summary><c>verify-required</c> (a flag).</summary>
    public static SshOption VerifyRequired() => SshOption.Flag(VerifyRequiredName);

    /// <summary>True for a name this library knows how to check.</summary>
    public static bool IsStandard(string name) => name is ForceCommandName or SourceAddress or VerifyRequiredName;
}
