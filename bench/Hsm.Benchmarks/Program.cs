using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.Hsm.Pkcs11;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SshHsmCa.Hsm.Benchmarks;

/// <summary>
/// Signing throughput on a SoftHSM2 token made for the run: raw C_Sign through Pkcs11Interop
/// (one session per thread) beside the backend without and with software verification, for each
/// CA key type with 1 and 2 threads; then ssh-keygen -s -D in a loop on the same token.
/// Usage: dotnet run -c Release --project bench/Hsm.Benchmarks [-- seconds-per-cell]
/// </summary>
public static class Program
{
    private const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private const string Pin = "246810";

    public static async Task<int> Main(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var dir = Directory.CreateTempSubdirectory("sshhsmca-bench-").FullName;
        try
        {
            var conf = Path.Combine(dir, "softhsm2.conf");
            Directory.CreateDirectory(Path.Combine(dir, "tokens"));
            await File.WriteAllTextAsync(conf, $"directories.tokendir = {dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n");
            Run("softhsm2-util", ["--init-token", "--free", "--label", "bench", "--pin", Pin, "--so-pin", "12345678"], conf);
            RawSigning.UseSoftHsmConf(conf);

            var tbs = RandomNumberGenerator.GetBytes(600); // about the signed part of a certificate
            var types = new (CaKeyType Type, string Label)[] { (CaKeyType.EcdsaP256, "p256"), (CaKeyType.EcdsaP384, "p384"), (CaKeyType.Ed25519, "ed25519"), (CaKeyType.Rsa3072, "rsa3072") };
            using (var token = Pkcs11Token.Open(Pkcs11KeyUri.Parse($"pkcs11:token=bench;object=p256?module-path={Module}"), "246810"u8, readWrite: true))
            {
                byte id = 1;
                foreach (var (type, label) in types)
                {
                    Pkcs11KeyCeremony.Generate(token, type, label, [id++]);
                }
            }

            Console.WriteLine($"SoftHSM2 signing, {seconds} s per cell, 600-byte to-be-signed data, {Environment.ProcessorCount} cores");
            Console.WriteLine("| key | threads | raw C_Sign/s | backend, no verify/s | (vs raw) | backend + verify/s | p50 ms | p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (type, label) in types)
            {
                foreach (var threads in new[] { 1, 2 })
                {
                    var raw = RawSigning.Rate("bench", Pin, label, type, threads, tbs, seconds);
                    await using var key = Pkcs11CaKey.Open(new() { Uri = $"pkcs11:token=bench;object={label}?module-path={Module}", PoolSize = threads }, "246810"u8);
                    var (unverified, _) = await BackendRate(key, verify: false, threads, tbs, seconds);
                    var (verified, latencies) = await BackendRate(key, verify: true, threads, tbs, seconds);
                    latencies.Sort();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {label} | {threads} | {raw:0} | {unverified:0} | {unverified / raw:P0} | {verified:0} | {Percentile(latencies, 0.50):0.00} | {Percentile(latencies, 0.99):0.00} |"));
                }
            }

            SshKeygenLoop(dir, conf);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
    private static async Task<(double Rate, List<double> LatenciesMs)> BackendRate(Pkcs11CaKey key, bool verify, int threads, byte[] tbs, double seconds)
    {
        var latencies = new List<double>();
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, threads).Select(worker => Task.Run(async () =>
        {
            var mine = new List<double>();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t0 = Stopwatch.GetTimestamp();
                var signature = verify ? await key.SignAsync(tbs) : await key.SignUnverifiedAsync(tbs);
                GC.KeepAlive(signature);
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            return mine;
        })).ToArray();
        foreach (var list in await Task.WhenAll(workers))
        {
            latencies.AddRange(list);
        }

        return (latencies.Count / Stopwatch.GetElapsedTime(started).TotalSeconds, latencies);
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    /// <summary>ssh-keygen -s -D with the same token, one process per certificate, as an operator script would.</summary>
    private static void SshKeygenLoop(string dir, string conf)
    {
        var askpass = Path.Combine(dir, "askpass.sh");
        File.WriteAllText(askpass, $"#!/bin/sh\necho {Pin}\n");
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var caPub = Path.Combine(dir, "ca-p256.pub");
        var key = Path.Combine(dir, "user");
        Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], conf);
        var listed = Run("ssh-keygen", ["-D", Module], conf);
        File.WriteAllText(caPub, listed.Split('\n').First(l => l.StartsWith("ecdsa-sha2-nistp256", StringComparison.Ordinal)) + "\n");
        const int certificates = 40;
        var started = Stopwatch.GetTimestamp();
        for (var i = 1; i <= certificates; i++)
        {
            Run("ssh-keygen", ["-q", "-s", caPub, "-D", Module, "-I", $"bench-{i}", "-n", "alice", "-V", "+1h", "-z", i.ToString(CultureInfo.InvariantCulture), key + ".pub"], conf,
                new(StringComparer.Ordinal) { ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = ":0" });
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ssh-keygen -s -D (P-256 on the same token), {certificates} certificates: {certificates / elapsed:0.0} certificates/s, {elapsed * 1000 / certificates:0.0} ms each"));
    }

    private static string Run(string program, string[] arguments, string conf, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = conf;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {stderr}");
        }

        return stdout;
    }
}
