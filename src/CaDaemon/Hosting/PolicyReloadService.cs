using System.Runtime.InteropServices;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>SIGHUP (systemctl reload) re-reads the policy file; a policy with any error is refused and the old one stays.</summary>
internal sealed partial class PolicyReloadService(PolicyHolder policy, DaemonOptions options, ILogger<PolicyReloadService> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // SIGHUP's default action would end the process.
            Reload();
        });
        return Task.CompletedTask;
    }

    /// <summary>Reloads now; true when the new policy is in force.</summary>
    public bool Reload()
    {
        try
        {
            policy.Reload(File.ReadAllText(options.PolicyFile!));
            LogReloaded(logger, options.PolicyFile!, policy.Current.RoleNames.Count);
            return true;
        }
        catch (Exception e) when (e is PolicyLoadException or IOException or UnauthorizedAccessException)
        {
            LogRefused(logger, options.PolicyFile!, e.Message);
            return false;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "policy {Path} reloaded: {Roles} roles")]
    private static partial void LogReloaded(ILogger logger, string path, int roles);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "policy {Path} refused, the previous policy stays in force: {Errors}")]
    private static partial void LogRefused(ILogger logger, string path, string errors);
}
