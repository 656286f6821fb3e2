using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Readiness and liveness for systemd: READY=1 once the host has started (CA keys were opened and
/// checked before that), STOPPING=1 on shutdown, and WATCHDOG=1 at half of WATCHDOG_USEC while
/// running. Where UseSystemd's own notifier is active (parent is systemd) it sends READY and
/// STOPPING, and this only adds the watchdog.
/// </summary>
internal sealed class WatchdogService(IServiceProvider services, IHostApplicationLifetime lifetime) : BackgroundService
{
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

        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(microseconds / 2.0));
        do
        {
            SdNotify.Send("WATCHDOG=1");
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
