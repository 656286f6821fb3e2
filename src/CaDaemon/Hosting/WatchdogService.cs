using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;
using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Readiness and liveness for systemd: READY=1 once the host has started (CA keys were opened and
/// checked before that), STOPPING=1 on shutdown, and WATCHDOG=1 at half of WATCHDOG_USEC while
/// running. Where UseSystemd's own notifier is active (parent is systemd) it sends READY and
/// STOPPING, and this only adds the watchdog.
/// A CA key that stays unavailable for <c>keyUnavailableRestartSeconds</c> (its backend could not
/// recover it, not even by re-initialising the module) stops the pings, once, with a log line
/// saying why: systemd then restarts the unit (<c>WatchdogSec=</c>, <c>Restart=</c>).
/// </summary>
internal sealed partial class WatchdogService(IServiceProvider services, IHostApplicationLifetime lifetime, Func<IReadOnlyList<ICaKey>> keys, int restartAfterSeconds, TimeProvider time, ILogger<WatchdogService> logger) : BackgroundService
{
    private readonly Dictionary<ICaKey, DateTimeOffset> _unavailableSince = [];

    /// <summary>
    /// True while every CA key is available or has been unavailable for less than the configured
    /// time; false once one has been unavailable longer (logged once per key).
    /// </summary>
    internal bool Healthy()
    {
        var now = time.GetUtcNow();
        var healthy = true;
        foreach (var key in keys())
        {
            if (key.IsAvailable)
            {
                _unavailableSince.Remove(key);
                continue;
            }

            if (!_unavailableSince.TryGetValue(key, out var since))
            {
                _unavailableSince[key] = now;
                continue;
            }

            if (restartAfterSeconds > 0 && now - since >= TimeSpan.FromSeconds(restartAfterSeconds))
            {
                healthy = false;
            }
        }

        return healthy;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!SdNotify.IsAvailable)
        {
            return;
        }

        var packageNotifies = services.GetService<ISystemdNotifier>() is { IsEnabled: true } && SystemdHelpers.IsSystemdService();
        if (!packageNotifies)
        {
            lifetime.ApplicationStarted.Register(() => SdNotify.Send("READY=1"));
            lifetime.ApplicationStopping.Register(() => SdNotify.Send("STOPPING=1"));
        }

        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(microseconds / 2.0), time);
        do
        {
            if (!Healthy())
            {
                foreach (var key in keys().Where(k => !k.IsAvailable))
                {
                    LogGivingUp(logger, key.Description, restartAfterSeconds);
                }

                // No more pings: systemd's watchdog fires and the unit restarts with a fresh process.
                return;
            }

            SdNotify.Send("WATCHDOG=1");
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "CA key {Key} has been unavailable for more than {Seconds} s and recovery keeps failing; stopping the watchdog pings so that systemd restarts the daemon")]
    private static partial void LogGivingUp(ILogger logger, string key, int seconds);
}
