namespace SshHsmCa.CaDaemon.Trust;

/// <summary>
/// Once an hour (and at start), publishes a new trust set when a retired CA key's last
/// certificate expired (it leaves the set) or another appliance on the store changed its keys.
/// </summary>
internal sealed partial class TrustRefreshService(TrustPublisher trust, TimeProvider time, ILogger<TrustRefreshService> logger) : BackgroundService
{
    /// <summary>How often.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                await trust.RefreshAsync(null, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 5303, Level = LogLevel.Warning, Message = "the hourly trust set pass failed; the next pass retries")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
