using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using SshHsmCa.CaDaemon.Issuing;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// What one network source may make the daemon do before it has proved anything (issue 13):
/// a token bucket of calls without a client certificate, and a token bucket of failed
/// authentications that, once empty, refuses the source's calls until it refills. A failure is
/// counted (metrics, one aggregated log line per source and interval), never written durably.
/// </summary>
internal sealed partial class SourceLimits : IDisposable
{
    /// <summary>How often the aggregated failure lines are written.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(60);

    private const int MaxTrackedSources = 10_000;
    private readonly PartitionedRateLimiter<string> _anonymous;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly ConcurrentDictionary<string, FailureTally> _tallies = new(StringComparer.Ordinal);
    private readonly CaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ITimer _flush;

    /// <summary>Creates the limits from the configuration.</summary>
    public SourceLimits(RateLimitOptions options, CaMetrics metrics, TimeProvider time, ILogger<SourceLimits> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _metrics = metrics;
        _logger = logger;
        _anonymous = PartitionedRateLimiter.Create<string, string>(source => RateLimitPartition.GetTokenBucketLimiter(source, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.AnonymousBurst,
            TokensPerPeriod = options.AnonymousPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _failures = PartitionedRateLimiter.Create<string, string>(source => RateLimitPartition.GetTokenBucketLimiter(source, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.FailuresBurst,
            TokensPerPeriod = Math.Max(1, options.FailuresPerMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _flush = time.CreateTimer(_ => Flush(), null, LogInterval, LogInterval);
    }

    /// <summary>Null when <paramref name="source"/> may make a call; otherwise why not (for RESOURCE_EXHAUSTED).</summary>
    /// <param name="source">The peer's IP address.</param>
    /// <param name="anonymous">The connection carries no client certificate.</param>
    public string? Admit(string source, bool anonymous)
    {
        if (_failures.GetStatistics(source) is { CurrentAvailablePermits: <= 0 })
        {
            _metrics.Throttled.WithLabels("failures").Inc();
            return $"too many failed authentications from {source}; wait a minute before trying again";
        }

        if (anonymous)
        {
            using var lease = _anonymous.AttemptAcquire(source);
            if (!lease.IsAcquired)
            {
                _metrics.Throttled.WithLabels("anonymous").Inc();
                return $"too many calls without a client certificate from {source}; slow down";
            }
        }

        return null;
    }

    /// <summary>Counts a failed authentication of <paramref name="source"/> (null: the operator socket, counted but never limited).</summary>
    public void Failed(string? source, string method, string reason)
    {
        _metrics.AuthFailures.WithLabels(method).Inc();
        if (source is not null)
        {
            using var _ = _failures.AttemptAcquire(source);
        }

        var key = source ?? "the operator socket";
        if (_tallies.Count >= MaxTrackedSources && !_tallies.ContainsKey(key))
        {
            key = "other sources";
        }

        var tally = _tallies.GetOrAdd(key, _ => new FailureTally());
        lock (tally)
        {
            tally.Count++;
            tally.LastReason = reason.Length > 200 ? reason[..200] : reason;
        }
    }

    /// <summary>Writes one line per source that failed since the last flush, then forgets them.</summary>
    public void Flush()
    {
        foreach (var key in _tallies.Keys)
        {
            if (_tallies.TryRemove(key, out var tally))
            {
                lock (tally)
                {
                    LogFailures(_logger, tally.Count, key, (int)LogInterval.TotalSeconds, tally.LastReason);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _flush.Dispose();
        Flush();
        _anonymous.Dispose();
        _failures.Dispose();
    }

    private sealed class FailureTally
    {
        public int Count { get; set; }

        public string LastReason { get; set; } = string.Empty;
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Count} failed authentication(s) from {Source} in the last {Seconds} s; the last: {Reason}")]
    private static partial void LogFailures(ILogger logger, int count, string source, int seconds, string reason);
}
