namespace SshHsmCa.Ssh.Certificates;

/// <summary>The standard extensions (PROTOCOL.certkeys, "Extensions"): all flags.</summary>
public static class SshExtensions
{
    /// <summary>Allows X11 forwarding.</summary>
    public const string PermitX11Forwarding = "permit-X11-forwarding";

    /// <summary>Allows agent forwarding.</summary>
    public const string PermitAgentForwarding = "permit-agent-forwarding";

    /// <summary>Allows port forwarding.</summary>
    public const string PermitPortForwarding = "permit-port-forwarding";

    /// <summary>Allows a PTY.</summary>
    public const string PermitPty = "permit-pty";

    /// <summary>Allows ~/.ssh/rc.</summary>
    public const string PermitUserRc = "permit-user-rc";

    /// <summary>Security-key signatures need not assert user presence. OpenSSH 8.2+.</summary>
    public const string NoTouchRequired = "no-touch-required";

    /// <summary>The standard extension names.</summary>
    public static IReadOnlyList<string> StandardNames { get; } =
        [PermitX11Forwarding, PermitAgentForwarding, PermitPortForwarding, PermitPty, PermitUserRc, NoTouchRequired];

    /// <summary>What <c>ssh-keygen</c> gives a user certificate by default: the five permit-* flags.</summary>
    public static SshOptionSet DefaultUser { get; } = SshOptionSet.Create(
        SshOptionKind.Extension,
        [SshOption.Flag(PermitX11Forwarding), SshOption.Flag(PermitAgentForwarding), SshOption.Flag(PermitPortForwarding), SshOption.Flag(PermitPty), SshOption.Flag(PermitUserRc)]);

    /// <summary>True for a name this library knows.</summary>
    public static bool IsStandard(string name) => StandardNames.Contains(name, StringComparer.Ordinal);
}
