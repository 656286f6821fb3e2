namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Per-source limits on what an unauthenticated network peer can make the daemon do (issue 13):
/// calls on a TLS connection without a client certificate, and failed authentications. Callers
/// with a client certificate and the operator socket are limited only by their failures.
/// </summary>
internal sealed class RateLimitOptions
{
    /// <summary>Calls per second a source address may make without a client certificate (token bucket refill).</summary>
    public int AnonymousPerSecond { get; set; } = 50;

    /// <summary>The burst of such calls (token bucket size).</summary>
    public int AnonymousBurst { get; set; } = 200;

    /// <summary>Failed authentications per minute a source address may have before its calls are refused.</summary>
    public int FailuresPerMinute { get; set; } = 60;

    /// <summary>The burst of failed authentications.</summary>
    public int FailuresBurst { get; set; } = 30;
}
