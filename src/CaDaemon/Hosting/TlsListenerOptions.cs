namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>The TCP listener: TLS 1.2+ with required client certificates.</summary>
internal sealed class TlsListenerOptions
{
    /// <summary>Address to bind, e.g. 127.0.0.1.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port.</summary>
    public int Port { get; set; } = 8443;

    /// <summary>Server certificate (PEM).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Server private key (PEM, root-only).</summary>
    public string? KeyFile { get; set; }

    /// <summary>CA bundle (PEM) that client certificates must chain to; the system store is never used.</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>
    /// True (default): the TLS handshake requires a client certificate. False: callers without one
    /// may connect but must present an ID token or a bootstrap token (SSO users, hosts at boot).
    /// </summary>
    public bool RequireClientCertificate { get; set; } = true;
}
