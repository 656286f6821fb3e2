namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>The operator Unix socket.</summary>
internal sealed class UnixSocketOptions
{
    /// <summary>Socket path.</summary>
    public string Path { get; set; } = "/run/ssh-hsm-ca/ca.sock";

    /// <summary>Socket file mode, octal.</summary>
    public string Mode { get; set; } = "0660";
}
