using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace SshHsmCa.CaDaemon.Logging;

/// <summary>
/// Serilog for the daemon. Under systemd (journald connected our stdout: <c>JOURNAL_STREAM</c>)
/// every event is one console line with a <c>&lt;N&gt;</c> syslog priority prefix that journald
/// turns into the entry's priority, the exception folded onto the same line; on a terminal, a
/// timestamped line. Structured audit events go to journald's native socket separately
/// (<see cref="Audit.JournalAuditEvents"/>). Nothing here ever formats a PIN, key or token: the
/// daemon does not pass them to a logger.
/// </summary>
internal static class DaemonLogging
{
    /// <summary>True when stdout is journald's stream (systemd sets <c>JOURNAL_STREAM</c>).</summary>
    public static bool UnderJournald => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    /// <summary>The daemon's logger: Information and above, ASP.NET Core's chatter at Warning.</summary>
    public static Logger Create(bool journald)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning);
        return configuration.WriteTo.Console(new SystemdLineFormatter(withTimestamp: !journald)).CreateLogger();
    }
}
