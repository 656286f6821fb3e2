using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Data.Sqlite;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.Protos.V1;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SshHsmCa.Reliability;

/// <summary>
/// The reliability program of issue 13 (a program that prints figures, not a timed test), against
/// <c>ssh-hsm-cad --dev</c> as a real process on a SoftHSM2 token, loaded over mTLS:
/// <list type="bullet">
/// <item><c>kill</c>: kill -9 under load N times; every certificate a client received must be in the
/// audit log with the same bytes, no row left pending after the restart, integrity_check ok.</item>
/// <item><c>fault</c>: the token's folder moved away for S seconds under load, then back: how soon
/// requests fail UNAVAILABLE, and how soon after the return health is SERVING and signing works.</item>
/// <item><c>soak</c>: S seconds at half the measured peak rate: errors, RSS and open descriptors
/// after warm-up.</item>
/// </list>
/// Usage: dotnet run -c Release --project bench/Reliability -- [kills N] [fault SECONDS] [soak SECONDS]
/// (default: kills 3 fault 20 soak 120). Exit 1 when a check failed.
/// </summary>
public static class Program
{
    private static readonly SignUserCertificateRequest Request = new()
    {
        PublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg1 reliability",
        };

    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var plan = new Dictionary<string, int>(StringComparer.Ordinal) { ["kills"] = 3, ["fault"] = 20, ["soak"] = 120 };
        if (args.Length > 0)
        {
            plan.Clear();
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                plan[args[i]] = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
        }

        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SshHsmCa.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("run from the repository");
        }

        var daemonDll = Path.Combine(root, "src/CaDaemon/bin/Release/net10.0/ssh-hsm-cad.dll");
        var work = Directory.CreateTempSubdirectory("sshhsmca-reliability-").FullName;
        var log = Path.Combine(work, "daemon.log");
        var ok = true;
        try
        {
            Console.WriteLine($"ssh-hsm-cad --dev on SoftHSM2, load over mTLS from this process; {Environment.ProcessorCount} cores; daemon log {log}");
            if (plan.TryGetValue("kills", out var kills))
            {
                ok &= await KillsAsync(daemonDll, Path.Combine(work, "kills"), log, kills).ConfigureAwait(false);
            }

            if (plan.TryGetValue("fault", out var away))
            {
                ok &= await FaultAsync(daemonDll, Path.Combine(work, "fault"), log, away).ConfigureAwait(false);
            }

            if (plan.TryGetValue("soak", out var soak))
            {
                ok &= await SoakAsync(daemonDll, Path.Combine(work, "soak"), log, soak).ConfigureAwait(false);
            }
        }
        finally
        {
            if (ok)
            {
                Directory.Delete(work, recursive: true);
            }
        }

        Console.WriteLine(ok ? "reliability: all checks passed" : $"reliability: a check FAILED (kept {work})");
        return ok ? 0 : 1;
    }

    private static async Task<bool> KillsAsync(string daemonDll, string dir, string log, int rounds)
    {
        Console.WriteLine($"\n## kill -9 under load, {rounds} times (16 concurrent clients)");
        Console.WriteLine("| round | received before the kill | missing from the audit log | different bytes | outside the issuance log | left pending | resolved as interrupted | integrity_check | tree from the leaves = head |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|---|");
        var port = FreePort();
        var received = new System.Collections.Concurrent.ConcurrentDictionary<ulong, string>();
        var ok = true;
        for (var round = 1; round <= rounds; round++)
        {
            var daemon = await DaemonProcess.StartAsync(daemonDll, dir, port, log).ConfigureAwait(false);
            var client = DevClients.Tls(dir, port);
            using var stop = new CancellationTokenSource();
            var mine = new System.Collections.Concurrent.ConcurrentDictionary<ulong, string>();
            var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var issued = (await client.SignUserCertificateAsync(Request).ConfigureAwait(false)).Certificate;
                        mine[issued.Serial] = issued.Certificate;
                    }
                    catch (RpcException)
                    {
                        await Task.Delay(10).ConfigureAwait(false);
                    }
                }
            })).ToArray();
            await Task.Delay(TimeSpan.FromMilliseconds(1500 + Random.Shared.Next(2000))).ConfigureAwait(false);
            daemon.KillHard();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ConfigureAwait(false);
            foreach (var (serial, certificate) in mine)
            {
                received[serial] = certificate;
            }

            // The restart resolves what the killed process left pending.
            await using (await DaemonProcess.StartAsync(daemonDll, dir, port, log).ConfigureAwait(false))
            {
                var (missing, different, pending, interrupted, integrity) = CheckAudit(Path.Combine(dir, "audit.db"), received);
                var (unlogged, tree) = CheckLog(Path.Combine(dir, "audit.db"), received);
                var good = missing == 0 && different == 0 && unlogged == 0 && tree && pending == 0 && integrity == "ok";
                ok &= good;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {mine.Count} | {missing} | {different} | {unlogged} | {pending} | {interrupted} | {integrity} | {(tree ? "yes" : "NO")} |"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{received.Count} certificates received over {rounds} kills, every one checked against the audit log after each restart"));
        return ok;
    }

    private static (int Missing, int Different, long Pending, long Interrupted, string Integrity) CheckAudit(string database, IReadOnlyDictionary<ulong, string> received)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var missing = 0;
        var different = 0;
        foreach (var (serial, certificate) in received)
        {
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT outcome, certificate FROM certificates WHERE serial = $s;";
            select.Parameters.AddWithValue("$s", (long)serial);
            using var reader = select.ExecuteReader();
            if (!reader.Read() || reader.GetString(0) != "issued")
            {
                missing++;
            }
            else if (reader.GetString(1) != certificate)
            {
                different++;
            }
        }

        return (missing, different, Scalar(connection, "SELECT count(*) FROM certificates WHERE outcome = 'pending';"),
            Scalar(connection, "SELECT count(*) FROM certificates WHERE failure LIKE 'interrupted:%';"),
            Text(connection, "PRAGMA integrity_check;"));
    }

    /// <summary>
    /// The issuance log after a kill: every certificate a client received has its leaf (the SHA-256
    /// of its blob), and the tree recomputed from all the leaves is the head's root.
    /// </summary>
    private static (int Unlogged, bool Tree) CheckLog(string database, IReadOnlyDictionary<ulong, string> received)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var unlogged = 0;
        foreach (var (serial, certificate) in received)
        {
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT entry FROM log_entries WHERE kind = 'certificate' AND ref = $s;";
            select.Parameters.AddWithValue("$s", (long)serial);
            var entry = select.ExecuteScalar() as byte[];
            if (entry is null || !SshHsmCa.Ssh.Transparency.LogEntry.Parse(entry).Digest.Span.SequenceEqual(SshHsmCa.Ssh.Transparency.LogEntry.BlobDigest(certificate)))
            {
                unlogged++;
            }
        }

        var range = SshHsmCa.Ssh.Transparency.CompactRange.Empty();
        using (var leaves = connection.CreateCommand())
        {
            leaves.CommandText = "SELECT idx, entry FROM log_entries ORDER BY idx;";
            using var reader = leaves.ExecuteReader();
            while (reader.Read())
            {
                if (reader.GetInt64(0) != range.Size)
                {
                    return (unlogged, false);
                }

                range.Append(SshHsmCa.Ssh.Transparency.MerkleTree.LeafHash((byte[])reader.GetValue(1)));
            }
        }

        using var head = connection.CreateCommand();
        head.CommandText = "SELECT size, root FROM log_head WHERE id = 1;";
        using var row = head.ExecuteReader();
        return (unlogged, row.Read() && row.GetInt64(0) == range.Size && ((byte[])row.GetValue(1)).AsSpan().SequenceEqual(range.Root()));
    }

    private static async Task<bool> FaultAsync(string daemonDll, string dir, string log, int awaySeconds)
    {
        Console.WriteLine($"\n## the token away for {awaySeconds} s under load (4 concurrent clients), then back");
        var port = FreePort();
        await using var daemon = await DaemonProcess.StartAsync(daemonDll, dir, port, log).ConfigureAwait(false);
        var client = DevClients.Tls(dir, port);
        var events = new System.Collections.Concurrent.ConcurrentQueue<(double At, StatusCode Code)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.SignUserCertificateAsync(Request, deadline: DateTime.UtcNow.AddSeconds(10)).ConfigureAwait(false);
                    events.Enqueue((clock.Elapsed.TotalSeconds, StatusCode.OK));
                }
                catch (RpcException e)
                {
                    events.Enqueue((clock.Elapsed.TotalSeconds, e.StatusCode));
                    await Task.Delay(20).ConfigureAwait(false);
                }
            }
        })).ToArray();

        await Task.Delay(2000).ConfigureAwait(false);
        var tokens = Path.Combine(dir, "tokens");
        var folder = Directory.GetDirectories(tokens).Single();
        var away = Path.Combine(dir, "token-away");
        var movedAt = clock.Elapsed.TotalSeconds;
        Directory.Move(folder, away);
        var notServingAt = double.NaN;
        while (clock.Elapsed.TotalSeconds < movedAt + awaySeconds)
        {
            if (double.IsNaN(notServingAt) && await daemon.HealthAsync().ConfigureAwait(false) == HealthCheckResponse.Types.ServingStatus.NotServing)
            {
                notServingAt = clock.Elapsed.TotalSeconds;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        var backAt = clock.Elapsed.TotalSeconds;
        Directory.Move(away, folder);
        var servingAt = double.NaN;
        while (clock.Elapsed.TotalSeconds < backAt + 60)
        {
            if (await daemon.HealthAsync().ConfigureAwait(false) == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                servingAt = clock.Elapsed.TotalSeconds;
                break;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        await Task.Delay(1000).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);
        var all = events.ToArray();
        var firstFailure = all.Where(e => e.At >= movedAt && e.Code != StatusCode.OK).Select(e => e.At).DefaultIfEmpty(double.NaN).Min();
        var firstOkAfter = all.Where(e => e.At >= backAt && e.Code == StatusCode.OK).Select(e => e.At).DefaultIfEmpty(double.NaN).Min();
        var codes = string.Join(", ", all.Where(e => e.At >= movedAt && e.At < backAt && e.Code != StatusCode.OK).GroupBy(e => e.Code).Select(g => $"{g.Key} ×{g.Count()}"));
        Console.WriteLine("| measure | seconds |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| token moved away → first failed request | {firstFailure - movedAt:0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| token moved away → health NOT_SERVING | {notServingAt - movedAt:0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| token back → health SERVING | {servingAt - backAt:0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| token back → first certificate | {firstOkAfter - backAt:0.00} |"));
        Console.WriteLine($"failures while away: {(codes.Length == 0 ? "none" : codes)}");
        var ok = !double.IsNaN(servingAt) && servingAt - backAt <= 5 && !double.IsNaN(firstOkAfter) && all.Where(e => e.At >= movedAt && e.Code != StatusCode.OK).All(e => e.Code == StatusCode.Unavailable);
        Console.WriteLine(ok ? "fault: SERVING again within 5 s, every failure UNAVAILABLE" : "fault: FAILED (not back within 5 s, or a failure other than UNAVAILABLE)");
        return ok;
    }

    private static async Task<bool> SoakAsync(string daemonDll, string dir, string log, int seconds)
    {
        var port = FreePort();
        await using var daemon = await DaemonProcess.StartAsync(daemonDll, dir, port, log).ConfigureAwait(false);
        var client = DevClients.Tls(dir, port);
        var peak = await RateAsync(client, 16, TimeSpan.FromSeconds(5), double.PositiveInfinity).ConfigureAwait(false);
        var target = peak.Rate / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\n## soak: {seconds} s at half the peak rate ({peak.Rate:0}/s measured at concurrency 16 → {target:0}/s)"));
        var samples = new List<(double At, long RssKb, int Fds)>();
        var clock = Stopwatch.StartNew();
        var load = RateAsync(client, 8, TimeSpan.FromSeconds(seconds), target);
        while (!load.IsCompleted)
        {
            var (rss, fds) = daemon.Resources();
            samples.Add((clock.Elapsed.TotalSeconds, rss, fds));
            await Task.WhenAny(load, Task.Delay(5000)).ConfigureAwait(false);
        }

        var result = await load.ConfigureAwait(false);
        var warm = samples.Where(s => s.At >= seconds * 0.2).ToList();
        var baseRss = warm[0].RssKb;
        var baseFds = warm[0].Fds;
        var rssSpread = warm.Max(s => Math.Abs(s.RssKb - baseRss) / (double)baseRss);
        var fdsSpread = warm.Max(s => Math.Abs(s.Fds - baseFds) / (double)baseFds);
        Console.WriteLine("| certificates | rate/s | errors | RSS after warm-up (MiB) | max RSS drift | open fds | max fd drift |");
        Console.WriteLine("|---:|---:|---:|---|---:|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {result.Count} | {result.Rate:0} | {result.Errors} | {warm.Min(s => s.RssKb) / 1024.0:0.0}–{warm.Max(s => s.RssKb) / 1024.0:0.0} | {rssSpread:P1} | {warm.Min(s => s.Fds)}–{warm.Max(s => s.Fds)} | {fdsSpread:P1} |"));
        var ok = result.Errors == 0 && rssSpread <= 0.10 && fdsSpread <= 0.10;
        Console.WriteLine(ok ? "soak: 0 errors, RSS and descriptors flat within ±10 %" : "soak: FAILED");
        return ok;
    }

    /// <summary>Certificates per second from <paramref name="concurrency"/> clients for <paramref name="duration"/>, paced to at most <paramref name="perSecond"/>.</summary>
    private static async Task<(double Rate, int Count, int Errors)> RateAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, int concurrency, TimeSpan duration, double perSecond)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        var errors = 0;
        var issued = 0L;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                // Pacing: request number n starts no earlier than n / perSecond seconds in.
                var n = Interlocked.Increment(ref issued);
                var due = double.IsPositiveInfinity(perSecond) ? 0 : n / perSecond;
                var wait = due - clock.Elapsed.TotalSeconds;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait)).ConfigureAwait(false);
                }

                try
                {
                    await client.SignUserCertificateAsync(Request).ConfigureAwait(false);
                    Interlocked.Increment(ref count);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (count / clock.Elapsed.TotalSeconds, count, errors);
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static string Text(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
