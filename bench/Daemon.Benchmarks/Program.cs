using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Protos.V1;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SshHsmCa.Daemon.Benchmarks;

/// <summary>
/// End-to-end load: gRPC clients over mTLS on loopback against the daemon (in this process, so
/// the load generator, the daemon and SoftHSM share the two cores), for P-256, Ed25519 and
/// RSA-3072 user CA keys on one SoftHSM2 token, at concurrency 1, 4, 16 and 64; beside it the raw
/// 2-thread C_Sign rate of the same key, measured in the same run.
/// Usage: dotnet run -c Release --project bench/Daemon.Benchmarks [-- seconds-per-cell]
/// With <c>--shared-store</c> first: the audit store compared instead (<see cref="SharedStoreBenchmark"/>);
/// with <c>--own-process</c>: the callers in a process of their own and the daemon's CPU per
/// certificate (<see cref="OwnProcessBenchmark"/>); with <c>--network-hsm</c>: the key behind a
/// network round trip (<see cref="NetworkHsmBenchmark"/>); with <c>--issuance-log</c>: the issuance
/// rate with and without the log, and the log at a million leaves (<see cref="IssuanceLogBenchmark"/>).
/// </summary>
public static class Program
{
    private const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private const string Pin = "246810";

    /// <summary>
    /// Seconds of load on a new daemon before its first cell is measured. Measured: after 2 s the
    /// JIT was still compiling the request path's methods at their final tier (a third of the
    /// daemon's CPU went to the tiered-compilation thread, P-256 at concurrency 1: 2.5 ms of CPU
    /// per certificate); after 10 s it was done (1.0 ms). A daemon runs for days: its steady state
    /// is what counts.
    /// </summary>
    internal const double WarmUpSeconds = 10;

    /// <summary>The concurrency levels of a table.</summary>
    internal static readonly int[] Concurrencies = [1, 4, 16, 64];

    /// <summary>What every load generator asks for: a user certificate for an Ed25519 key.</summary>
    internal const string LoadKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg1 load";

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--client", var clientDir, var clientPort, var clientConcurrency, var clientSeconds, var clientWarmUp])
        {
            return await OwnProcessBenchmark.ClientAsync(clientDir, int.Parse(clientPort, CultureInfo.InvariantCulture), int.Parse(clientConcurrency, CultureInfo.InvariantCulture), double.Parse(clientSeconds, CultureInfo.InvariantCulture), double.Parse(clientWarmUp, CultureInfo.InvariantCulture));
        }

        var shared = args.Length > 0 && args[0] == "--shared-store";
        var ownProcess = args.Length > 0 && args[0] == "--own-process";
        var networkHsm = args.Length > 0 && args[0] == "--network-hsm";
        var issuanceLog = args.Length > 0 && args[0] == "--issuance-log";
        args = shared || ownProcess || networkHsm || issuanceLog ? args[1..] : args;
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 4;
        var dir = Directory.CreateTempSubdirectory("sshhsmca-load-").FullName;
        try
        {
            var conf = Path.Combine(dir, "softhsm2.conf");
            Directory.CreateDirectory(Path.Combine(dir, "tokens"));
            await File.WriteAllTextAsync(conf, $"directories.tokendir = {dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n");
            RawSigning.UseSoftHsmConf(conf);
            Pkcs11KeyCeremony.InitializeToken(Module, "load", "12345678"u8, Encoding.ASCII.GetBytes(Pin));
            var types = new (CaKeyType Type, string Label)[] { (CaKeyType.EcdsaP256, "p256"), (CaKeyType.Ed25519, "ed25519"), (CaKeyType.Rsa3072, "rsa3072") };
            using (var token = Pkcs11Token.Open(Pkcs11KeyUri.Parse($"pkcs11:token=load;object=host?module-path={Module}"), Encoding.ASCII.GetBytes(Pin), readWrite: true))
            {
                byte id = 1;
                foreach (var (type, label) in types)
                {
                    Pkcs11KeyCeremony.Generate(token, type, label, [id++]);
                }

                Pkcs11KeyCeremony.Generate(token, CaKeyType.Ed25519, "host", [9]);
            }

            DevEnvironment.WritePki(dir);
            var pinFile = Path.Combine(dir, "pin");
            await File.WriteAllTextAsync(pinFile, Pin + "\n");
            File.SetUnixFileMode(pinFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var policy = Path.Combine(dir, "policy.json");
            await File.WriteAllTextAsync(policy, """{ "roles": [ { "name": "load", "match": [ { "mtls": { "subjects": ["CN=dev-client"] } } ], "user": { "principals": ["load"] } } ] }""");

            if (shared)
            {
                await SharedStoreBenchmark.RunAsync(dir, Options, seconds);
                return 0;
            }

            if (issuanceLog)
            {
                // --issuance-log SECONDS [LEAVES]: with and without the log, then the store at LEAVES (default 10^6).
                await IssuanceLogBenchmark.RunAsync(dir, Options, seconds, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000);
                return 0;
            }

            if (networkHsm)
            {
                // --network-hsm SECONDS [ONE-WAY-MS]: the P-256 key a round trip away.
                var oneWay = TimeSpan.FromMilliseconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1);
                await NetworkHsmBenchmark.RunAsync(dir, conf, Module, Options, Pin, seconds, oneWay);
                return 0;
            }

            if (ownProcess)
            {
                // --own-process SECONDS [LABEL [CONCURRENCY]]: one key type and one concurrency (for a profile).
                var only = args.Length > 1 ? types.Where(t => t.Label == args[1]).ToArray() : types;
                int[] levels = args.Length > 2 ? [int.Parse(args[2], CultureInfo.InvariantCulture)] : Concurrencies;
                await OwnProcessBenchmark.RunAsync(dir, Options, only, levels, Pin, seconds);
                return 0;
            }

            DaemonOptions Options(string label, int port, string database) => new()
            {
                Tls = new TlsListenerOptions { Address = "127.0.0.1", Port = port, CertificateFile = Path.Combine(dir, "server.pem"), KeyFile = Path.Combine(dir, "server.key"), ClientCaFile = Path.Combine(dir, "tls-ca.pem") },
                UserCa = new CaKeyOptions { Uri = $"pkcs11:token=load;object={label}?module-path={Module}", PinFile = pinFile, Pkcs11 = new() { PoolSize = 2 } },
                HostCa = new CaKeyOptions { Uri = $"pkcs11:token=load;object=host?module-path={Module}", PinFile = pinFile, Pkcs11 = new() { PoolSize = 1 } },
                PolicyFile = policy,
                AuditDatabase = Path.Combine(dir, database),
            };

            Console.WriteLine($"End to end over mTLS on loopback, {seconds} s per cell after {WarmUpSeconds} s of warm-up per daemon, {Environment.ProcessorCount} cores shared by client, daemon and SoftHSM");
            Console.WriteLine("| CA key | raw C_Sign/s (2 threads) | concurrency | certificates/s | vs raw | p50 ms | p99 ms | max ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (type, label) in types)
            {
                var raw = RawSigning.Rate("load", Pin, label, type, 2, RandomNumberGenerator.GetBytes(400), seconds);
                var port = FreePort();
                await WithDaemonAsync(Options(label, port, $"audit-{label}.db"), async () =>
                {
                    var client = DevClients.Tls(dir, port);
                    var request = new SignUserCertificateRequest { PublicKey = LoadKey };
                    // TLS, the thread pool and the JIT's final tiers before the clock starts.
                    await LoadAsync([client], request, 1, WarmUpSeconds);
                    foreach (var concurrency in Concurrencies)
                    {
                        var (rate, latencies, errors) = await LoadAsync([client], request, concurrency, seconds);
                        latencies.Sort();
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {label} | {raw:0} | {concurrency} | {rate:0} | {rate / raw:P0} | {P(latencies, 0.5):0.00} | {P(latencies, 0.99):0.00} | {(latencies.Count == 0 ? 0 : latencies[^1]):0.00} | {errors} |"));
                    }

                    return 0;
                });
            }

            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> against a daemon started from <paramref name="options"/>, then
    /// stops it. Warnings and errors only: per-certificate log lines would measure the console.
    /// </summary>
    internal static async Task<T> WithDaemonAsync<T>(DaemonOptions options, Func<Task<T>> body)
    {
        var app = DaemonHost.Build(options, [], logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        try
        {
            return await body();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary><paramref name="concurrency"/> callers for <paramref name="seconds"/>, spread over <paramref name="clients"/> (one per daemon).</summary>
    internal static async Task<(double Rate, List<double> Latencies, int Errors)> LoadAsync(IReadOnlyList<CertificateAuthorityService.CertificateAuthorityServiceClient> clients, SignUserCertificateRequest request, int concurrency, double seconds)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var errors = 0;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var client = clients[worker % clients.Count];
            var mine = new List<double>();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await client.SignUserCertificateAsync(request);
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                catch (Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }

            return mine;
        }).ToArray();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        return (all.Count / Stopwatch.GetElapsedTime(started).TotalSeconds, all, errors);
    }
    internal static double P(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
