using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// ssh-hsm-cad as a process, the way systemd runs it: READY=1 and WATCHDOG=1 on a notify socket
/// the test binds, SIGHUP reloading the policy (a bad one refused, the old one kept), STOPPING=1 on
/// SIGTERM, and no READY=1 when a CA key is missing at start.
/// </summary>
public sealed class DaemonProcessTests : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-process-");

    [Fact]
    public async Task NotifiesReadyAndWatchdogReloadsOnSighupAndStopsOnSigterm()
    {
        using var notify = NotifySocket(out var notifyPath);
        var port = Repository.FreePort();
        var ca = _dir.PathOf("ca");
        var daemon = Start(["--dev", ca, "--dev-port", port.ToString(CultureInfo.InvariantCulture)], notifyPath);

        Assert.Equal("READY=1", await ReceiveAsync(notify, "READY=1", TimeSpan.FromSeconds(90), daemon));
        Assert.Equal("WATCHDOG=1", await ReceiveAsync(notify, "WATCHDOG=1", TimeSpan.FromSeconds(10), daemon));

        var key = Path.Combine(ca, "id_test");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", key]).ExitCode);
        var notYet = Sign(ca, port, key, "reloaded");
        Assert.True(notYet.ExitCode == 1 && notYet.Stderr.Contains("principal-not-allowed", StringComparison.Ordinal), notYet.Output);

        // A broken policy is refused and the old one stays.
        var policyPath = Path.Combine(ca, "policy.json");
        var original = await File.ReadAllTextAsync(policyPath);
        await File.WriteAllTextAsync(policyPath, "{ \"roles\": [ { \"name\": \"x\" ");
        Signal("HUP", daemon);
        await WaitForAsync(() => Output(daemon).Contains("refused, the previous policy and CA keys stay in force", StringComparison.Ordinal), daemon);

        // Under journald (JOURNAL_STREAM set) each event is one line with its syslog priority: error is <3>.
        var refusedLine = Output(daemon).Split('\n').Single(l => l.Contains("refused, the previous policy and CA keys stay in force", StringComparison.Ordinal));
        Assert.StartsWith("<3>SshHsmCa.CaDaemon.Hosting.ConfigurationReloadService: configuration ", refusedLine, StringComparison.Ordinal);
        Assert.Contains("policy.json", refusedLine, StringComparison.Ordinal);
        Assert.False(daemon.HasExited);
        var stillSigning = Sign(ca, port, key, Environment.UserName);
        Assert.True(stillSigning.ExitCode == 0, stillSigning.Output + Output(daemon));

        // A good one takes effect without a restart.
        await File.WriteAllTextAsync(policyPath, original.Replace($"\"principals\": [\"{Environment.UserName}\"], \"validity\"", $"\"principals\": [\"{Environment.UserName}\", \"reloaded\"], \"validity\"", StringComparison.Ordinal));
        Signal("HUP", daemon);
        await WaitForAsync(() => Output(daemon).Contains("reloaded: 3 roles", StringComparison.Ordinal), daemon);
        var signed = Sign(ca, port, key, "reloaded");
        Assert.True(signed.ExitCode == 0, signed.Output);

        Signal("TERM", daemon);
        Assert.Equal("STOPPING=1", await ReceiveAsync(notify, "STOPPING=1", TimeSpan.FromSeconds(30), null));
        Assert.True(daemon.WaitForExit(30_000));
        Assert.Equal(0, daemon.ExitCode);
    }

    [Fact]
    public async Task SigtermDrainsInFlightSignaturesAndLosesNoAuditRecord()
    {
        using var notify = NotifySocket(out var notifyPath);
        var port = Repository.FreePort();
        var ca = _dir.PathOf("ca");
        var daemon = Start(["--dev", ca, "--dev-port", port.ToString(CultureInfo.InvariantCulture)], notifyPath);
        Assert.Equal("READY=1", await ReceiveAsync(notify, "READY=1", TimeSpan.FromSeconds(90), daemon));

        var key = Path.Combine(ca, "id_drain");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", key]).ExitCode);
        var publicKey = (await File.ReadAllTextAsync(key + ".pub")).Trim();
        using var channel = DaemonUnderTest.SocketChannel(Path.Combine(ca, "ca.sock"));
        var client = new CertificateAuthorityService.CertificateAuthorityServiceClient(channel);

        // 16 workers sign in a loop; SIGTERM lands while signatures are in flight.
        var issued = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        var refused = new System.Collections.Concurrent.ConcurrentBag<StatusCode>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 500 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var reply = await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = publicKey, Principals = { Environment.UserName } }, deadline: DateTime.UtcNow.AddSeconds(30));
                    issued.Add(reply.Certificate.Serial);
                }
                catch (RpcException e)
                {
                    refused.Add(e.StatusCode);
                    return;
                }
            }
        })).ToArray();

        for (var i = 0; i < 300 && issued.Count < 100; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(issued.Count >= 100, $"only {issued.Count} issued before SIGTERM: {Output(daemon)}");
        Signal("TERM", daemon);
        Assert.Equal("STOPPING=1", await ReceiveAsync(notify, "STOPPING=1", TimeSpan.FromSeconds(30), null));
        Assert.True(daemon.WaitForExit(30_000));
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, daemon.ExitCode);

        // The refusals after SIGTERM are "unavailable" (the connection is closing), never an internal error.
        Assert.All(refused, code => Assert.True(code is StatusCode.Unavailable or StatusCode.Cancelled, code.ToString()));

        // Every certificate a client received has its committed record; no attempt is left pending.
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(ca, "audit.db")};Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT serial, outcome FROM certificates";
        var outcomes = new Dictionary<ulong, string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                outcomes[unchecked((ulong)reader.GetInt64(0))] = reader.GetString(1);
            }
        }

        Assert.All(issued, serial => Assert.Equal("issued", outcomes.GetValueOrDefault(serial)));
        Assert.DoesNotContain("pending", outcomes.Values);
    }

    [Fact]
    public async Task AMissingCaKeyKeepsTheDaemonFromReady()
    {
        var ca = _dir.PathOf("ca");
        var port = Repository.FreePort();

        // Make the development CA once, then point the user CA at a key that is not on the token.
        var setup = Start(["--dev", ca, "--dev-port", port.ToString(CultureInfo.InvariantCulture)], null);
        await WaitForAsync(() => File.Exists(Path.Combine(ca, "ca.sock")), setup);
        setup.Kill();
        await setup.WaitForExitAsync();

        var config = await File.ReadAllTextAsync(Path.Combine(ca, "config.json"));
        var broken = _dir.Write("broken.json", config.Replace("object=user-ca", "object=no-such-key", StringComparison.Ordinal));
        using var notify = NotifySocket(out var notifyPath);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["NOTIFY_SOCKET"] = notifyPath,
            ["SOFTHSM2_CONF"] = Path.Combine(ca, "softhsm2.conf"),
        };
        var result = ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("CaDaemon", "ssh-hsm-cad.dll"), "--config", broken], environment, 120_000);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not started", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no-such-key", result.Stderr, StringComparison.Ordinal);
        notify.ReceiveTimeout = 500;
        Assert.Throws<SocketException>(() => notify.Receive(new byte[256]));
    }

    /// <summary>Issue 26: --dev-port applied at the first start only; every start now listens where its command line says.</summary>
    [Fact]
    public async Task TheDevelopmentCaListensOnThePortOfEachStart()
    {
        var ca = _dir.PathOf("ca");
        foreach (var port in new[] { Repository.FreePort(), Repository.FreePort() })
        {
            var daemon = Start(["--dev", ca, "--dev-port", port.ToString(CultureInfo.InvariantCulture)], null);
            try
            {
                await WaitForAsync(() => Listening(port), daemon);
            }
            finally
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
        }

        static bool Listening(int port)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                client.Connect(System.Net.IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    private Process Start(string[] arguments, string? notifyPath)
    {
        var start = new ProcessStartInfo("/usr/bin/dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Repository.Binary("CaDaemon", "ssh-hsm-cad.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (notifyPath is not null)
        {
            start.Environment["NOTIFY_SOCKET"] = notifyPath;
            start.Environment["WATCHDOG_USEC"] = "400000";
            start.Environment["JOURNAL_STREAM"] = "8:12345";
        }

        var process = Process.Start(start)!;
        var output = new StringBuilder();
        Outputs[process.Id] = output;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _started.Add(process);
        return process;
    }

    private readonly List<Process> _started = [];

    private static readonly Dictionary<int, StringBuilder> Outputs = [];

    private static string Output(Process process)
    {
        var output = Outputs[process.Id];
        lock (output)
        {
            return output.ToString();
        }
    }

    private static ProcessRunner.Result Sign(string ca, int port, string key, string principal) =>
        ProcessRunner.Run("/usr/bin/dotnet",
        [
            Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{port}",
            "--client-cert", Path.Combine(ca, "client.pem"), "--client-key", Path.Combine(ca, "client.key"), "--server-ca", Path.Combine(ca, "tls-ca.pem"),
            "sign", "-n", principal, key + ".pub",
        ], timeoutMs: 60_000);

    private static void Signal(string signal, Process process) =>
        Assert.Equal(0, ProcessRunner.Run("/bin/kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]).ExitCode);

    private Socket NotifySocket(out string path)
    {
        path = _dir.PathOf($"notify-{Guid.NewGuid():N}"[..30]);
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static async Task<string> ReceiveAsync(Socket socket, string expected, TimeSpan timeout, Process? process)
    {
        var buffer = new byte[4096];
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                var message = Encoding.UTF8.GetString(buffer, 0, received);
                if (message.Split('\n').Contains(expected, StringComparer.Ordinal))
                {
                    return expected;
                }
            }
            catch (OperationCanceledException e)
            {
                if (process is { HasExited: true })
                {
                    throw new InvalidOperationException($"the daemon exited with {process.ExitCode} before {expected}: {Output(process)}", e);
                }
            }
        }

        throw new TimeoutException($"no {expected} within {timeout}: {(process is null ? string.Empty : Output(process))}");
    }

    private static async Task WaitForAsync(Func<bool> condition, Process process)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {process.ExitCode}: {Output(process)}");
            }

            await Task.Delay(100);
        }

        Assert.True(condition(), Output(process));
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            process.Dispose();
        }

        _dir.Dispose();
    }
}
