using System.Diagnostics;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>Debian's ssh-agent in the foreground on a socket of its own.</summary>
public sealed class SshAgent : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private SshAgent(Process process, string socket)
    {
        _process = process;
        Socket = socket;
    }

    public string Socket { get; }

    /// <summary>What the agent logged (with <c>debug</c>: ssh-agent -d, whose refusals are visible here).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts an agent; <paramref name="providers"/> is its -P allow-list of security-key provider
    /// libraries; <paramref name="debug"/> runs it with -d (debug log on stderr, in <see cref="Log"/>).
    /// </summary>
    public static async Task<SshAgent> StartAsync(TempDir dir, string? providers = null, bool debug = false)
    {
        var socket = dir.PathOf($"agent-{Guid.NewGuid():N}"[..20]);
        var start = new ProcessStartInfo(Tools.SshAgent) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (providers is not null)
        {
            start.ArgumentList.Add("-P");
            start.ArgumentList.Add(providers);
        }

        start.ArgumentList.Add(debug ? "-d" : "-D");
        start.ArgumentList.Add("-a");
        start.ArgumentList.Add(socket);
        var agent = new SshAgent(Process.Start(start)!, socket);
        agent._process.ErrorDataReceived += (_, e) =>
        {
            lock (agent._log)
            {
                agent._log.AppendLine(e.Data);
            }
        };
        agent._process.BeginErrorReadLine();
        for (var i = 0; i < 100 && !File.Exists(socket); i++)
        {
            await Task.Delay(50);
        }

        return File.Exists(socket) ? agent : throw new TimeoutException("ssh-agent did not create its socket");
    }

    /// <summary><c>ssh-add -l</c> lines (empty when the agent holds nothing).</summary>
    public IReadOnlyList<string> List()
    {
        var result = ProcessRunner.Run(Tools.SshAdd, ["-l"], new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = Socket });
        return result.ExitCode == 1 ? [] : result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }
}
