namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>The daemon's configuration (<c>/etc/ssh-hsm-ca/config.json</c>). No PIN or key material here.</summary>
internal sealed class DaemonOptions
{
    /// <summary>The mTLS listener; absent: none.</summary>
    public TlsListenerOptions? Tls { get; set; }

    /// <summary>The operator socket; absent: none.</summary>
    public UnixSocketOptions? UnixSocket { get; set; }

    /// <summary>Prometheus metrics on a loopback port; absent: none.</summary>
    public MetricsOptions? Metrics { get; set; }

    /// <summary>The KRL over plain HTTPS GETs (needs the tls section's certificate); absent: none.</summary>
    public PublishOptions? Publish { get; set; }

    /// <summary>journald's native socket for structured audit events; null: the default socket when it exists, "" for none.</summary>
    public string? JournalSocket { get; set; }

    /// <summary>SSO users with OpenID Connect ID tokens; absent: none.</summary>
    public OidcOptions? Oidc { get; set; }

    /// <summary>The user CA key.</summary>
    public CaKeyOptions? UserCa { get; set; }

    /// <summary>The host CA key.</summary>
    public CaKeyOptions? HostCa { get; set; }

    /// <summary>YubiKey PIV key ceremony settings (management key, extra attestation roots).</summary>
    public PivOptions? Piv { get; set; }

    /// <summary>Per-source limits on unauthenticated calls and failed authentications.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>
    /// Seconds a CA key may stay unavailable (device gone, recovery failing) before the daemon stops
    /// its watchdog pings so that systemd restarts it (<c>WatchdogSec=</c>); 0: never.
    /// </summary>
    public int KeyUnavailableRestartSeconds { get; set; } = 300;

    /// <summary>The policy file.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>The audit database.</summary>
    public string AuditDatabase { get; set; } = "/var/lib/ssh-hsm-ca/audit.db";
}
