using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Daemon.Benchmarks;

/// <summary>
/// Issue 19, goal 3: the load generator in a process of its own (this program again, with
/// <c>--client</c>), as real clients are, so that this process's CPU time is the daemon's alone
/// (with SoftHSM, a library in it). Printed beside each cell: the daemon's CPU per certificate,
/// and, measured in the same run, the CPU of one raw C_Sign and of one software verification of
/// the same key type; the rest is what the daemon spends on everything else (TLS, HTTP/2,
/// protobuf, policy, audit, logging).
/// </summary>
internal static class OwnProcessBenchmark
{
    /// <summary>Seconds of load before the later cells (a new concurrency on a warm daemon).</summary>
    private const double NextWarmUp = 2;


    /// <summary>The child: load against the daemon at <paramref name="port"/>, one line of results on stdout.</summary>
    public static async Task<int> ClientAsync(string dir, int port, int concurrency, double seconds, double warmUp)
    {
        var client = DevClients.Tls(dir, port);
        var request = new SignUserCertificateRequest { PublicKey = Program.LoadKey };
        // TLS, the JIT's tiers and the thread pool warm before the clock starts: the same load for
        // a while, then "go" so that the parent reads the daemon's CPU from here on only.
        await Program.LoadAsync([client], request, concurrency, warmUp);
        Console.WriteLine("go");
        await Console.Out.FlushAsync();
        var (rate, latencies, errors) = await Program.LoadAsync([client], request, concurrency, seconds);
        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{latencies.Count} {rate:0.0} {Program.P(latencies, 0.5):0.000} {Program.P(latencies, 0.99):0.000} {errors}"));
        return 0;
    }

    /// <summary>The parent: the daemon here, the callers in a child process, CPU accounted per certificate.</summary>
    public static async Task RunAsync(string dir, Func<string, int, string, DaemonOptions> options, (CaKeyType Type, string Label)[] types, int[] levels, string pin, double seconds)
    {
        Console.WriteLine($"Load generator in its own process; the daemon's CPU per certificate beside one C_Sign's and one verification's (same key type, same run); {seconds} s per cell, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| CA key | concurrency | certificates/s | p50 ms | p99 ms | daemon CPU µs/cert | C_Sign µs | verify µs | everything else µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (type, label) in types)
        {
            var signMicros = SignCpuMicros(label, type, pin, seconds);
            var port = Program.FreePort();
            await Program.WithDaemonAsync(options(label, port, $"audit-own-{label}.db"), async () =>
            {
                var sample = SshCertificate.ParseLine((await DevClients.Tls(dir, port).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = Program.LoadKey })).Certificate.Certificate);
                var verifyMicros = VerifyCpuMicros(sample, seconds / 4);
                var warmUp = Program.WarmUpSeconds;
                foreach (var concurrency in levels)
                {
                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"load started: {label} at concurrency {concurrency} for {seconds} s, daemon pid {Environment.ProcessId}"));
                    var (line, cpu) = RunChild(dir, port, concurrency, seconds, warmUp);
                    warmUp = NextWarmUp;
                    var parts = line.Split(' ');
                    var count = long.Parse(parts[0], CultureInfo.InvariantCulture);
                    var perCertificate = cpu.TotalMicroseconds / Math.Max(1, count);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {label} | {concurrency} | {double.Parse(parts[1], CultureInfo.InvariantCulture):0} | {parts[2]} | {parts[3]} | {perCertificate:0} | {signMicros:0} | {verifyMicros:0} | {perCertificate - signMicros - verifyMicros:0} |"));
                }

                return 0;
            });
        }
    }

    /// <summary>CPU time of one raw C_Sign on one thread (this process's CPU over the signatures made).</summary>
    private static double SignCpuMicros(string label, CaKeyType type, string pin, double seconds)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var rate = RawSigning.Rate("load", pin, label, type, 1, RandomNumberGenerator.GetBytes(400), seconds / 2);
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return cpu.TotalMicroseconds / (rate * wall);
    }

    /// <summary>CPU time of one software verification of a certificate's signature (what the backend does after every signature).</summary>
    private static double VerifyCpuMicros(SshCertificate certificate, double seconds)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var count = 0L;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            if (certificate.VerifySignature() != Ssh.Signatures.SignatureVerification.Valid)
            {
                throw new InvalidOperationException("a certificate from the daemon does not verify");
            }

            count++;
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / count;
    }

    /// <summary>Runs the load generator; returns its result line and this process's CPU time between its "go" and its result.</summary>
    private static (string Line, TimeSpan Cpu) RunChild(string dir, int port, int concurrency, double seconds, double warmUp)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(OwnProcessBenchmark).Assembly.Location);
        }

        foreach (var argument in (string[])["--client", dir, port.ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture), warmUp.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var go = child.StandardOutput.ReadLine();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = child.StandardOutput.ReadLine();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return child.ExitCode == 0 && go == "go" && result is not null
            ? (result.Trim(), cpu)
            : throw new InvalidOperationException($"the load generator failed: {stderr.Result}");
    }
}
