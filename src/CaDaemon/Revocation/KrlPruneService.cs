using SshHsmCa.CaDaemon.Audit;

namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>
/// Once an hour (and at start), starts a new KRL version when revoked certificates expired since
/// the last one, so that the KRL sshd reads at every login keeps only what can still log in.
/// Several appliances on one store may all run it: the check and the version bump are one write.
/// </summary>
internal sealed partial class KrlPruneService(IRevocationStore audit, TimeProvider time, ILogger<KrlPruneService> logger) : BackgroundService
{
    /// <summary>How often.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    /// <summary>One pass: the new version, or null.</summary>
    public async Task<ulong?> PruneOnceAsync(CancellationToken cancellationToken)
    {
        var version = await audit.PruneKrlAsync((ulong)time.GetUtcNow().ToUnixTimeSeconds(), cancellationToken).ConfigureAwait(false);
        if (version is { } v)
        {
            LogPruned(logger, v);
        }

        return version;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "KRL version {Version}: revoked certificates that expired are left out")]
    private static partial void LogPruned(ILogger logger, ulong version);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "pruning expired certificates from the KRL failed; the next pass retries")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
