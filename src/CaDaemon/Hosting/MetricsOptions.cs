namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>The Prometheus endpoint: <c>/metrics</c> over plain HTTP on a loopback port of its own.</summary>
internal sealed class MetricsOptions
{
    /// <summary>A loopback address.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port.</summary>
    public int Port { get; set; } = 9464;
}
