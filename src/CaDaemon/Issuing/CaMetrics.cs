using Prometheus;
using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// The daemon's Prometheus metrics, in a registry of its own (no process-wide state). No
/// principals or key ids as labels: cardinality stays bounded.
/// </summary>
internal sealed class CaMetrics
{
    private readonly Gauge _poolIdle;
    private readonly Gauge _poolSize;
    private readonly Gauge _available;

    /// <summary>Creates the metrics in a new registry.</summary>
    public CaMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Issued = factory.CreateCounter("sshhsmca_certificates_issued_total", "Certificates issued.", "type");
        Denied = factory.CreateCounter("sshhsmca_requests_denied_total", "Requests denied by policy.", "type");
        Failures = factory.CreateCounter("sshhsmca_failures_total", "Attempts that failed after policy allowed them.", "kind");
        SignatureSeconds = factory.CreateHistogram("sshhsmca_signature_seconds", "Hardware signature latency, verification included.",
            new HistogramConfiguration { LabelNames = ["type"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _poolIdle = factory.CreateGauge("sshhsmca_hsm_sessions_idle", "Idle sessions in a CA key's pool.", "ca");
        _poolSize = factory.CreateGauge("sshhsmca_hsm_sessions", "Sessions in a CA key's pool (0 while unavailable).", "ca");
        _available = factory.CreateGauge("sshhsmca_ca_key_available", "1 while a CA key's device is usable.", "ca");
        AuthFailures = factory.CreateCounter("sshhsmca_auth_failures_total", "Calls refused UNAUTHENTICATED, by RPC method.", "method");
        Throttled = factory.CreateCounter("sshhsmca_throttled_total", "Calls refused RESOURCE_EXHAUSTED by the per-source limits.", "limit");
        MalformedMessages = factory.CreateCounter("sshhsmca_malformed_messages_total", "Requests whose protobuf message could not be parsed.");
        TouchPrompts = factory.CreateCounter("sshhsmca_touch_prompts_total", "Signatures that waited for a touch of the CA key's YubiKey.", "ca");
        KrlSignatures = factory.CreateCounter("sshhsmca_krl_signatures_total", "KRL versions signed by the user CA key (one hardware signature each).");
        TrustSetSignatures = factory.CreateCounter("sshhsmca_trust_set_signatures_total", "Trust-set versions signed by the active user CA key (one hardware signature each).");
    }

    /// <summary>The registry to expose.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Certificates issued, by type.</summary>
    public Counter Issued { get; }

    /// <summary>Requests denied by policy, by type.</summary>
    public Counter Denied { get; }

    /// <summary>Failed attempts after policy, by kind.</summary>
    public Counter Failures { get; }

    /// <summary>Time spent in the hardware signature (including software verification).</summary>
    public Histogram SignatureSeconds { get; }

    /// <summary>Failed authentications, by RPC method (never by source: unbounded cardinality).</summary>
    public Counter AuthFailures { get; }

    /// <summary>Calls refused by the per-source limits, by limit (anonymous, failures).</summary>
    public Counter Throttled { get; }

    /// <summary>Requests that were not a valid protobuf message.</summary>
    public Counter MalformedMessages { get; }

    /// <summary>Touch prompts, by CA.</summary>
    public Counter TouchPrompts { get; }

    /// <summary>KRL versions signed.</summary>
    public Counter KrlSignatures { get; }

    /// <summary>Trust-set versions signed.</summary>
    public Counter TrustSetSignatures { get; }

    /// <summary>Reads the active CA keys' pool state at every scrape (the keys in force then: a reload may change them).</summary>
    public void Observe(Func<(ICaKey User, ICaKey Host)> activeKeys)
    {
        ArgumentNullException.ThrowIfNull(activeKeys);
        Registry.AddBeforeCollectCallback(() =>
        {
            var (user, host) = activeKeys();
            Set("user", user);
            Set("host", host);
        });
    }

    private void Set(string name, ICaKey key)
    {
        _available.WithLabels(name).Set(key.IsAvailable ? 1 : 0);
        if (key is ISessionPoolCaKey pkcs11)
        {
            _poolIdle.WithLabels(name).Set(pkcs11.IdleSessions);
            _poolSize.WithLabels(name).Set(pkcs11.PoolSize);
        }
    }
}
