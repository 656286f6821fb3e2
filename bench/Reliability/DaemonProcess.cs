using System.Diagnostics;
using Grpc.Health.V1;
using SshHsmCa.Benchmarks.Shared;

namespace SshHsmCa.Reliability;

/// <summary>ssh-hsm-cad --dev DIR as a child process, ready when its health says SERVING.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;

    private DaemonProcess(Process process, string dir, int port)
    {
        _process = process;
        Dir = dir;
        Port = port;
    }

    public string Dir { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public static async Task<DaemonProcess> StartAsync(string daemonDll, string dir, int port, string log)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { daemonDll, "--dev", dir, "--dev-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ssh-hsm-cad");
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new DaemonProcess(process, dir, port);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"ssh-hsm-cad exited with {process.ExitCode}; see {log}");
            }

            if (await daemon.HealthAsync().ConfigureAwait(false) == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                return daemon;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException($"ssh-hsm-cad did not become SERVING in 90 s; see {log}");
    }

    private static void Write(StreamWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (writer)
        {
            writer.WriteLine(line);
        }
    }

    /// <summary>The health status on the operator socket, or Unknown when nothing answers.</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync()
    {
        try
        {
            using var channel = DevClients.Socket(Path.Combine(Dir, "ca.sock"));
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2)).ConfigureAwait(false);
            return reply.Status;
        }
        catch (Grpc.Core.RpcException)
        {
            return HealthCheckResponse.Types.ServingStatus.Unknown;
        }
    }

    /// <summary>Resident memory (kB) and open descriptors, from /proc.</summary>
    public (long RssKb, int Fds) Resources()
    {
        var rss = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (kb, Directory.GetFiles($"/proc/{Pid}/fd").Length);
    }

    /// <summary>SIGKILL: no drain, no STOPPING, nothing flushed that was not already durable.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the daemon drains and stops.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync().ConfigureAwait(false);
            }

            if (!_process.WaitForExit(30_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
    }
}
