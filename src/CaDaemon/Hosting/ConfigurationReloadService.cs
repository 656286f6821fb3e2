using System.Runtime.InteropServices;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.CaDaemon.Trust;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// SIGHUP (systemctl reload) and the ReloadConfiguration RPC: re-reads the configuration (with
/// conf.d) and the policy, opens and checks the CA keys as a start does, and only when all of it
/// holds puts the policy and the key set in force together, then publishes the trust set of the
/// new keys. Anything refused leaves everything as it was, and says why. A daemon whose keys
/// were handed in by its host (tests) reloads them through the same loader.
/// </summary>
internal sealed partial class ConfigurationReloadService(PolicyHolder policy, DaemonOptions options, CaKeySet keys, CaKeyLoader loader, TrustPublisher trust, Audit.ILogStore log, TimeProvider time, ILogger<ConfigurationReloadService> logger) : IConfigurationReloader, IHostedService, IDisposable
{
    private static readonly TimeSpan DisposeAfter = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PosixSignalRegistration? _registration;


    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The trust set of the keys the daemon starts with, before it serves.
        await trust.RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // SIGHUP's default action would end the process.
            _ = Task.Run(() => ReloadAsync(null, CancellationToken.None));
        });
    }

    /// <summary>A policy file's text (UTF-8, a byte order mark left out), from the bytes the issuance log hashes.</summary>
    public static string PolicyText(byte[] policyFile) => System.Text.Encoding.UTF8.GetString(policyFile).TrimStart('\uFEFF');

    /// <summary>Reloads now; the outcome says whether the new configuration is in force.</summary>
    /// <param name="by">The operator who asked (ReloadConfiguration), recorded with any revocation it makes; null for SIGHUP.</param>
    /// <param name="cancellationToken">Cancels the wait for an earlier reload.</param>
    public async Task<ReloadOutcome> ReloadAsync(CallerIdentity? by, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var source = options.SourcePath;
            var fresh = options;
            if (source is not null)
            {
                var (loaded, errors) = ConfigurationLoader.Load(source);
                if (errors.Count > 0 || loaded is null)
                {
                    LogRefused(logger, source, string.Join("; ", errors));
                    return new ReloadOutcome(false, errors, 0);
                }

                fresh = loaded;
            }
            else if (DaemonOptionsValidator.Validate(options) is { Count: > 0 } inProcess)
            {
                LogRefused(logger, "(in-process configuration)", string.Join("; ", inProcess));
                return new ReloadOutcome(false, inProcess, 0);
            }

            SshPolicy newPolicy;
            byte[] policyFile;
            try
            {
                policyFile = File.ReadAllBytes(fresh.PolicyFile!);
                newPolicy = SshPolicy.Load(PolicyText(policyFile));
            }
            catch (Exception e) when (e is PolicyLoadException or IOException or UnauthorizedAccessException)
            {
                LogPolicyRefused(logger, fresh.PolicyFile!, e.Message);
                return new ReloadOutcome(false, [$"policy {fresh.PolicyFile}: {e.Message}"], 0);
            }

            IReadOnlyList<CaKeyEntry> entries;
            try
            {
                entries = await loader.LoadAsync(fresh.KeysOf, keys, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                LogRefused(logger, source ?? "(in-process configuration)", e.Message);
                return new ReloadOutcome(false, [e.Message], 0);
            }

            // The policy in force is in the issuance log before the first certificate it decides.
            await log.AppendLogAsync(Ssh.Transparency.LogEntry.ForReload((ulong)time.GetUtcNow().ToUnixTimeSeconds(), fresh.ApplianceName ?? Environment.MachineName, policyFile,
                by?.Name ?? "SIGHUP", $"reload: policy {fresh.PolicyFile}, {newPolicy.RoleNames.Count} roles"), CancellationToken.None).ConfigureAwait(false);
            policy.Replace(newPolicy);
            var retired = keys.Replace(entries);
            LogPolicyReloaded(logger, fresh.PolicyFile!, newPolicy.RoleNames.Count);
            if (logger.IsEnabled(LogLevel.Information))
            {
                var described = string.Join(", ", entries.Select(e => $"{(e.Ca == Ssh.Certificates.SshCertificateType.User ? "user" : "host")} {e.Name} {Ssh.Trust.TrustSet.StateName(e.State)} {e.Fingerprint}"));
                LogKeys(logger, described);
            }
            if (retired.Count > 0)
            {
                // A signature already under way on a key the new set no longer opens finishes first.
                _ = DisposeLaterAsync(retired);
            }

            var published = await trust.RefreshAsync(by, CancellationToken.None).ConfigureAwait(false);
            return new ReloadOutcome(true, [], published.Version);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DisposeLaterAsync(IReadOnlyList<ICaKey> retired)
    {
        await Task.Delay(DisposeAfter, time).ConfigureAwait(false);
        foreach (var key in retired)
        {
            await key.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _registration?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "policy {Path} reloaded: {Roles} roles")]
    private static partial void LogPolicyReloaded(ILogger logger, string path, int roles);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "policy {Path} refused, the previous policy stays in force: {Errors}")]
    private static partial void LogPolicyRefused(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "configuration {Path} refused, the previous policy and CA keys stay in force: {Errors}")]
    private static partial void LogRefused(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "CA keys in force: {Keys}")]
    private static partial void LogKeys(ILogger logger, string keys);
}
