using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Daemon.Benchmarks;

/// <summary>
/// Issue 19, goal 4: a CA key behind a network round trip. The P-256 key stays on SoftHSM2,
/// served by <c>p11-kit server</c>; the daemon loads <c>p11-kit-client.so</c>, whose every call
/// crosses a <see cref="DelayLine"/> (a fixed delay each way). For each pool size: the raw
/// signature time through the link, the end-to-end rate with more callers than sessions against
/// 0.8 × sessions / signature time, and the latency at half of sessions / signature time.
/// </summary>
internal static class NetworkHsmBenchmark
{
    public static async Task RunAsync(string dir, string softHsmConf, string module, Func<string, int, string, DaemonOptions> options, string pin, double seconds, TimeSpan oneWay)
    {
        using var server = new P11KitServer(Path.Combine(dir, "p11kit.sock"), module, "load", softHsmConf);
        await using var link = new DelayLine(Path.Combine(dir, "link.sock"), server.Socket, oneWay);
        RawSigning.SetEnvironment("P11_KIT_SERVER_ADDRESS", P11KitServer.Address(link.Path));
        var uri = $"pkcs11:token=load;object=p256?module-path={P11KitServer.ClientModule}";
        var pinBytes = System.Text.Encoding.ASCII.GetBytes(pin);

        double signatureMs;
        int automatic;
        await using (var probe = Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = uri }, pinBytes))
        {
            automatic = probe.PoolSize;
            var times = new List<double>();
            for (var i = 0; i < 50; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await probe.SignUnverifiedAsync(RandomNumberGenerator.GetBytes(300));
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            times.Sort();
            signatureMs = Program.P(times, 0.5);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CA key P-256 on SoftHSM2 behind p11-kit RPC and a delay line of {oneWay.TotalMilliseconds:0.###} ms each way; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Module probe: {probe.ModuleCallTime.TotalMilliseconds:0.00} ms per call, {(probe.ModuleWaits ? "waits" : "computes")}; automatic pool size {automatic}; one signature (C_SignInit + C_Sign, 2 round trips) p50 {signatureMs:0.00} ms, max {times[^1]:0.00} ms"));
        }

        var ceiling = await CeilingAsync(dir, options, seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"What the CPU allows: the same daemon with the key on SoftHSM2 in-process (no RPC, no link), 64 callers: {ceiling:0} certificates/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{seconds} s per cell; target rate = 0.8 × min(sessions / signature time, what the CPU allows); latency at half of sessions / signature time (paced, capped at half the CPU's rate), target p99 ≤ 3 × signature time = {3 * signatureMs:0.0} ms"));
        Console.WriteLine("| sessions | raw signatures/s (2×sessions in flight) | certificates/s (2×sessions callers) | target | met | paced rate/s | p50 ms | p99 ms | p99 ≤ 3 × signature | errors |");
        Console.WriteLine("|---:|---:|---:|---:|---|---:|---:|---:|---|---:|");
        foreach (var sessions in new[] { 4, 8, 16, automatic }.Distinct())
        {
            var raw = await RawRateAsync(uri, pinBytes, sessions, seconds / 2);
            var port = Program.FreePort();
            var daemonOptions = options("p256", port, $"audit-net-{sessions}.db");
            daemonOptions.UserCa = new CaKeyOptions { Uri = uri, PinFile = daemonOptions.UserCa!.PinFile, Pkcs11 = new() { PoolSize = sessions } };
            await Program.WithDaemonAsync(daemonOptions, async () =>
            {
                var client = DevClients.Tls(dir, port);
                var request = new SignUserCertificateRequest { PublicKey = Program.LoadKey };
                await Program.LoadAsync([client], request, 2 * sessions, 1); // warm
                var (rate, _, errors) = await Program.LoadAsync([client], request, 2 * sessions, seconds);
                var target = 0.8 * Math.Min(sessions / (signatureMs / 1000), ceiling);
                var paced = 0.5 * Math.Min(sessions / (signatureMs / 1000), ceiling);
                var (pacedRate, latencies, pacedErrors) = await PacedLoadAsync(client, request, paced, seconds);
                latencies.Sort();
                var p99 = Program.P(latencies, 0.99);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {sessions} | {raw:0} | {rate:0} | {target:0} | {(rate >= target ? "yes" : $"no ({rate / target:P0})")} | {pacedRate:0} | {Program.P(latencies, 0.5):0.00} | {p99:0.00} | {(p99 <= 3 * signatureMs ? "yes" : "no")} | {errors + pacedErrors} |"));
                return 0;
            });
        }
    }

    /// <summary>The daemon's rate with the same key on SoftHSM2 loaded in-process: the most these cores give.</summary>
    private static async Task<double> CeilingAsync(string dir, Func<string, int, string, DaemonOptions> options, double seconds)
    {
        var port = Program.FreePort();
        return await Program.WithDaemonAsync(options("p256", port, "audit-net-local.db"), async () =>
        {
            var client = DevClients.Tls(dir, port);
            var request = new SignUserCertificateRequest { PublicKey = Program.LoadKey };
            await Program.LoadAsync([client], request, 64, 1);
            return (await Program.LoadAsync([client], request, 64, seconds)).Rate;
        });
    }

    /// <summary>Signatures per second through the link with <paramref name="sessions"/> sessions and twice as many signers.</summary>
    private static async Task<double> RawRateAsync(string uri, byte[] pin, int sessions, double seconds)
    {
        await using var key = Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = uri, PoolSize = sessions }, pin);
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var count = 0L;
        var started = Stopwatch.GetTimestamp();
        var tbs = RandomNumberGenerator.GetBytes(300);
        await Task.WhenAll(Enumerable.Range(0, 2 * sessions).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                await key.SignUnverifiedAsync(tbs);
                Interlocked.Increment(ref count);
            }
        })));
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Open-loop load: requests started at <paramref name="rate"/> per second whatever the answers, each timed from its start.</summary>
    private static async Task<(double Rate, List<double> Latencies, int Errors)> PacedLoadAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, SignUserCertificateRequest request, double rate, double seconds)
    {
        var calls = new List<Task<double>>();
        var errors = 0;
        var started = Stopwatch.GetTimestamp();
        var total = (int)(rate * seconds);
        for (var i = 0; i < total; i++)
        {
            var due = started + (long)(i / rate * Stopwatch.Frequency);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            calls.Add(Task.Run(async () =>
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await client.SignUserCertificateAsync(request);
                    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                catch (Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref errors);
                    return double.NaN;
                }
            }));
        }

        var results = await Task.WhenAll(calls);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var latencies = results.Where(r => !double.IsNaN(r)).ToList();
        return (latencies.Count / elapsed, latencies, errors);
    }
}
