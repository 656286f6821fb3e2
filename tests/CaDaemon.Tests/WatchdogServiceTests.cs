using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>Issue 13: a CA key that stays unavailable past the configured time stops the watchdog pings (systemd restarts the unit).</summary>
public sealed class WatchdogServiceTests
{
    /// <summary>A stand-in for a CA key whose availability the test sets (the watchdog reads nothing else).</summary>
    private sealed class SwitchableKey : ICaKey
    {
        public bool IsAvailable { get; set; } = true;

        public SshPublicKey PublicKey => throw new NotSupportedException();

        public string Description => "test key";

        public Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static WatchdogService Create(ICaKey key, int seconds, TimeProvider time) =>
        new(null!, null!, () => [key], seconds, time, NullLogger<WatchdogService>.Instance);

    [Fact]
    public void PingsStopOnlyAfterAKeyStaysUnavailableForTheConfiguredTime()
    {
        var time = new FakeTimeProvider();
        var key = new SwitchableKey();
        var watchdog = Create(key, 300, time);
        Assert.True(watchdog.Healthy());

        key.IsAvailable = false;
        Assert.True(watchdog.Healthy());
        time.Advance(TimeSpan.FromSeconds(299));
        Assert.True(watchdog.Healthy());

        // Back in time: the clock starts again at the next outage.
        key.IsAvailable = true;
        Assert.True(watchdog.Healthy());
        key.IsAvailable = false;
        Assert.True(watchdog.Healthy());
        time.Advance(TimeSpan.FromSeconds(299));
        Assert.True(watchdog.Healthy());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(watchdog.Healthy());
    }

    [Fact]
    public void ZeroNeverStopsThePings()
    {
        var time = new FakeTimeProvider();
        var key = new SwitchableKey { IsAvailable = false };
        var watchdog = Create(key, 0, time);
        Assert.True(watchdog.Healthy());
        time.Advance(TimeSpan.FromDays(1));
        Assert.True(watchdog.Healthy());
    }
}
