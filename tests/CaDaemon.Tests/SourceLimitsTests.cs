using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Issuing;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class SourceLimitsTests
{
    private static SourceLimits Create(RateLimitOptions options, RecordingLogger<SourceLimits>? logger = null) =>
        new(options, new CaMetrics(), new FakeTimeProvider(), logger ?? new RecordingLogger<SourceLimits>());

    [Fact]
    public void AnonymousCallsOfOneSourceAreLimitedAndOtherSourcesAreNot()
    {
        using var limits = Create(new RateLimitOptions { AnonymousBurst = 5, AnonymousPerSecond = 1 });
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(limits.Admit("192.0.2.1", anonymous: true));
        }

        Assert.Contains("without a client certificate from 192.0.2.1", limits.Admit("192.0.2.1", anonymous: true), StringComparison.Ordinal);
        Assert.Null(limits.Admit("192.0.2.2", anonymous: true));

        // A caller with a client certificate is not an anonymous caller.
        Assert.Null(limits.Admit("192.0.2.1", anonymous: false));
    }

    [Fact]
    public void FailedAuthenticationsExhaustTheSourceWhateverItPresents()
    {
        using var limits = Create(new RateLimitOptions { FailuresBurst = 3, FailuresPerMinute = 6 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(limits.Admit("192.0.2.9", anonymous: false));
            limits.Failed("192.0.2.9", "SignHostCertificate", "bootstrap token: unknown token");
        }

        Assert.Contains("too many failed authentications", limits.Admit("192.0.2.9", anonymous: false), StringComparison.Ordinal);
        Assert.Null(limits.Admit("192.0.2.10", anonymous: false));
    }

    [Fact]
    public void FailuresAreLoggedOnceAPerSourceAndInterval()
    {
        var logger = new RecordingLogger<SourceLimits>();
        using var limits = Create(new RateLimitOptions(), logger);
        for (var i = 0; i < 1000; i++)
        {
            limits.Failed("192.0.2.7", "SignHostCertificate", "not a bootstrap token");
        }

        limits.Failed(null, "CreateBootstrapToken", "no credential");
        Assert.Empty(logger.Lines);
        limits.Flush();
        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains(logger.Lines, l => l.Contains("1000 failed authentication(s) from 192.0.2.7", StringComparison.Ordinal));
        limits.Flush();
        Assert.Equal(2, logger.Lines.Count);
    }

    internal sealed class RecordingLogger<T> : ILogger<T>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
