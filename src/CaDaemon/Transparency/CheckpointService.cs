namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>
/// Signs issuance-log checkpoints in the background: at most one per <c>log.checkpointSeconds</c>
/// while the tree grows, and at once when asked (<see cref="Nudge"/>: a revocation, so the KRL
/// version it makes is in a signed checkpoint). A failure (device away, a refused tree) is logged
/// and tried again at the next period; issuing never waits for a checkpoint.
/// </summary>
internal sealed partial class CheckpointService(IssuanceLog log, TimeSpan period, ILogger<CheckpointService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _nudged = new(0, 1);

    /// <summary>Asks for a checkpoint now (no wait for the period).</summary>
    public void Nudge()
    {
        try
        {
            _nudged.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already asked.
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!log.CanSign)
        {
            return;
        }

        LogKey(logger, log.Signer!.Origin, log.Signer.VerifierKey, log.Signer.Key.Description);

        string? lastFailure = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await log.CheckpointAsync(stoppingToken).ConfigureAwait(false);
                lastFailure = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or Hsm.HsmException or System.Data.Common.DbException or Audit.AuditStoreConnectionException or IOException)
            {
                // Once per distinct failure, not at every period it lasts.
                if (!string.Equals(lastFailure, e.Message, StringComparison.Ordinal))
                {
                    LogFailed(logger, e.Message);
                }

                lastFailure = e.Message;
            }

            try
            {
                await _nudged.WaitAsync(period, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _nudged.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "issuance log key for {Origin}: verifier key {VerifierKey} ({Device}); pin it with 'ssh-hsm-ca audit verify --log-key {VerifierKey}'")]
    private static partial void LogKey(ILogger logger, string origin, string verifierKey, string device);

    [LoggerMessage(Level = LogLevel.Error, Message = "issuance log checkpoint not signed: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
