using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Ceremony;
using SshHsmCa.CaDaemon.Keys;

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

    /// <summary>The user CA key, when the user CA has one (the same as <c>userCaKeys: {"userCa": …}</c>).</summary>
    public CaKeyOptions? UserCa { get; set; }

    /// <summary>The host CA key, when the host CA has one (the same as <c>hostCaKeys: {"hostCa": …}</c>).</summary>
    public CaKeyOptions? HostCa { get; set; }

    /// <summary>
    /// The user CA's keys by name, each with its state (exactly one active). Named, so that a file
    /// in conf.d can add a key or change one's state (<c>ssh-hsm-ca ca rotate</c> does).
    /// </summary>
    public Dictionary<string, CaKeyOptions>? UserCaKeys { get; set; }

    /// <summary>The host CA's keys by name, as <see cref="UserCaKeys"/>.</summary>
    public Dictionary<string, CaKeyOptions>? HostCaKeys { get; set; }

    /// <summary>The file this configuration was read from (with its conf.d), for reloads; null when built in code.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? SourcePath { get; set; }

    /// <summary>The keys of the user CA (<paramref name="user"/>) or the host CA, by name, the single-key form included.</summary>
    public IReadOnlyList<KeyValuePair<string, CaKeyOptions>> KeysOf(bool user)
    {
        var single = user ? UserCa : HostCa;
        var named = (user ? UserCaKeys : HostCaKeys) ?? [];
        var keys = named.OrderBy(k => k.Key, StringComparer.Ordinal).ToList();
        if (single is not null && !named.ContainsKey(user ? "userCa" : "hostCa"))
        {
            keys.Insert(0, new(user ? "userCa" : "hostCa", single));
        }

        return keys;
    }

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

    /// <summary>
    /// This appliance's name among those sharing a PostgreSQL store (each publishes its CA key set
    /// under it; the trust set is their union); default: the host name.
    /// </summary>
    public string? ApplianceName { get; set; }

    /// <summary>The audit store on PostgreSQL (several appliances); absent: SQLite at <see cref="AuditDatabase"/>.</summary>
    public PostgresOptions? Postgres { get; set; }

    /// <summary>Security-key enrollment: the attestation roots (absent: enrollment is refused).</summary>
    public SshHsmCa.CaDaemon.SecurityKeys.SecurityKeyOptions? SecurityKeys { get; set; }

    /// <summary>The issuance log's checkpoints: origin, the Ed25519 log key, how often (absent: the tree is kept, nothing is signed).</summary>
    public SshHsmCa.CaDaemon.Transparency.LogOptions? Log { get; set; }

    /// <summary>The audit database (SQLite), when there is no postgres section.</summary>
    public string AuditDatabase { get; set; } = "/var/lib/ssh-hsm-ca/audit.db";
}
