namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The publish listener: HTTPS (the tls section's certificate) without client certificates, for
/// hosts that fetch the KRL with curl: <c>GET /krl</c>, <c>/krl.sig</c>, <c>/krl.version</c>,
/// nothing else. A KRL is public; its SSHSIG says where it came from.
/// </summary>
internal sealed class PublishOptions
{
    /// <summary>The address to listen on.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port.</summary>
    public int Port { get; set; } = 8444;
}
