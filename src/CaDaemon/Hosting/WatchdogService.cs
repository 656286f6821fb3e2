using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Microsoft.Extensions.Hosting.Systemd sends READY and STOPPING but no WATCHDOG: this sends
/// WATCHDOG=1 at half of WATCHDOG_USEC while the process runs (DESIGN.md, obtainability notes).
/// </summary>
internal sealed class WatchdogService(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var notifier = services.GetService<ISystemdNotifier>();
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (notifier is not { IsEnabled: true } || !long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(microseconds / 2.0));
        do
        {
            notifier.Notify(new ServiceState("WATCHDOG=1"));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
