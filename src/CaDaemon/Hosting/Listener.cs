namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The listeners of the daemon, each serving its own endpoints and nothing else: the API (gRPC on
/// the TLS listener and the operator socket), the publish listener (<c>/krl*</c>) and the metrics
/// listener (<c>/metrics</c>). The gate (<see cref="ListenerGate"/>) decides by the endpoint routing
/// matched and the listener the connection came through, never by the request's path string
/// (issue 26: a gate that compared paths case-sensitively let <c>/METRICS</c> through while routing
/// matched it case-insensitively).
/// </summary>
internal enum Listener
{
    /// <summary>The TLS listener and the operator Unix socket: gRPC, health, reflection.</summary>
    Api,

    /// <summary>The publish listener: the KRL as plain HTTPS GETs.</summary>
    Publish,

    /// <summary>The metrics listener: Prometheus on loopback.</summary>
    Metrics,
}
