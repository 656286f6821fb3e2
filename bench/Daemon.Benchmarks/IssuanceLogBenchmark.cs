using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.Daemon.Benchmarks;

/// <summary>
/// What the issuance log costs (issue 31): the issuance rate with and without leaves, two warmed
/// daemons measured in alternating turns (P-256 on SoftHSM2, mTLS on loopback), medians compared;
/// then the store alone: certificate commits on an empty log and on one of a million leaves, and
/// inclusion and consistency proofs at a million leaves (size and time).
/// </summary>
internal static class IssuanceLogBenchmark
{
    public static async Task RunAsync(string dir, Func<string, int, string, DaemonOptions> options, double seconds, int leaves)
    {
        if (seconds <= 0)
        {
            // --issuance-log 0 LEAVES: the store alone.
            await StoreAsync(dir, leaves);
            return;
        }

        // Two daemons, one with leaves and one without, both warmed up, then measured in turns
        // (with, without, with, without…): the machine's drift over a run (±15 % between rounds
        // minutes apart, measured) falls on both alike; the medians are compared.
        const int Turns = 5;
        Console.WriteLine($"Issuance log: P-256 on SoftHSM2, mTLS on loopback, two daemons (with and without leaves) warmed up {Program.WarmUpSeconds} s each, then {seconds} s cells in {Turns} alternating turns per concurrency; {Environment.ProcessorCount} cores shared");
        Console.WriteLine("| concurrency | leaves | certificates/s, each turn | median | p50 ms (median) | p99 ms (median) | errors |");
        Console.WriteLine("|---:|---|---|---:|---:|---:|---:|");
        var apps = new List<Microsoft.AspNetCore.Builder.WebApplication>();
        try
        {
            var clients = new Dictionary<bool, CertificateAuthorityService.CertificateAuthorityServiceClient>();
            foreach (var withLog in new[] { true, false })
            {
                var port = Program.FreePort();
                var app = DaemonHost.Build(options("p256", port, $"audit-log-{withLog}.db"), [], logging => logging.SetMinimumLevel(LogLevel.Warning));
                ((SqlAuditStore)app.Services.GetService(typeof(IAuditStore))!).AppendsLeaves = withLog;
                await app.StartAsync();
                apps.Add(app);
                clients[withLog] = DevClients.Tls(dir, port);
                await Program.LoadAsync([clients[withLog]], new SignUserCertificateRequest { PublicKey = Program.LoadKey }, 1, Program.WarmUpSeconds);
            }

            var request = new SignUserCertificateRequest { PublicKey = Program.LoadKey };
            foreach (var concurrency in new[] { 1, 16, 64 })
            {
                var cells = new Dictionary<bool, List<(double Rate, double P50, double P99, int Errors)>> { [true] = [], [false] = [] };
                for (var turn = 0; turn < Turns; turn++)
                {
                    foreach (var withLog in turn % 2 == 0 ? new[] { true, false } : [false, true])
                    {
                        var (rate, latencies, errors) = await Program.LoadAsync([clients[withLog]], request, concurrency, seconds);
                        latencies.Sort();
                        cells[withLog].Add((rate, Program.P(latencies, 0.5), Program.P(latencies, 0.99), errors));
                    }
                }

                foreach (var withLog in new[] { true, false })
                {
                    var c = cells[withLog];
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {concurrency} | {(withLog ? "with" : "without")} | {string.Join(", ", c.Select(x => x.Rate.ToString("0", CultureInfo.InvariantCulture)))} | {Median(c.Select(x => x.Rate)):0} | {Median(c.Select(x => x.P50)):0.00} | {Median(c.Select(x => x.P99)):0.00} | {c.Sum(x => x.Errors)} |"));
                }

                var with = Median(cells[true].Select(x => x.Rate));
                var without = Median(cells[false].Select(x => x.Rate));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {concurrency} | cost | the log costs {(without - with) / without:P1} of the median rate, {Median(cells[true].Select(x => x.P50)) - Median(cells[false].Select(x => x.P50)):+0.000;-0.000} ms of p50 | | | | |"));
            }
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        await StoreAsync(dir, leaves);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The store alone: commits on an empty log and on a large one, and proofs at that size.</summary>
    private static async Task StoreAsync(string dir, int leaves)
    {
        Console.WriteLine($"\nThe store alone (SQLite, synchronous=FULL), certificate commits from 16 callers (group commit), proofs at {leaves:N0} leaves");
        var empty = Path.Combine(dir, "log-empty.db");
        var large = Path.Combine(dir, "log-large.db");
        using (SqlAuditStore.OpenSqlite(large))
        {
        }

        var fill = Stopwatch.StartNew();
        Fill(large, leaves);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled {leaves:N0} leaves (bulk, one transaction) in {fill.Elapsed.TotalSeconds:0.0} s; database {new FileInfo(large).Length / 1048576.0:0} MiB"));
        Console.WriteLine("| round | log before | leaves | callers | commits | commits/s | µs per commit |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|");
        var without = Path.Combine(dir, "log-without.db");
        var perCommit = new Dictionary<(bool, int), List<double>>();
        for (var round = 1; round <= 2; round++)
        {
            foreach (var callers in new[] { 1, 16 })
            {
                foreach (var (path, withLog) in new[] { (empty, true), (without, false), (large, true) })
                {
                    using var store = SqlAuditStore.OpenSqlite(path);
                    store.AppendsLeaves = withLog;
                    var before = (await store.LogHeadAsync(CancellationToken.None)).Size;
                    var commits = callers == 1 ? 1000 : 4000;
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, callers).Select(worker => Task.Run(async () =>
                    {
                        for (var i = worker; i < commits; i += callers)
                        {
                            var serial = await store.ReserveAsync(Intent(), CancellationToken.None);
                            await store.CommitIssuedAsync(serial, "ssh-ed25519-cert-v01@openssh.com " + Convert.ToBase64String(BitConverter.GetBytes(serial)), CancellationToken.None);
                        }
                    })));
                    var elapsed = clock.Elapsed.TotalSeconds;
                    var (flushes, spent) = store.LeafFlushes;
                    if (flushes > 0)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (leaves appended by {flushes} group commits, {spent.TotalMicroseconds / flushes:0} µs each, {spent.TotalMicroseconds / commits:0} µs per certificate)"));
                    }

                    if (path != large)
                    {
                        (perCommit.TryGetValue((withLog, callers), out var list) ? list : perCommit[(withLog, callers)] = []).Add(elapsed * 1e6 / commits);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {before:N0} | {(withLog ? "with" : "without")} | {callers} | {commits} | {commits / elapsed:0} | {elapsed * 1e6 / commits:0} |"));
                }
            }
        }

        foreach (var callers in new[] { 1, 16 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{callers} caller(s): {perCommit[(true, callers)].Average():0} µs per commit with leaves, {perCommit[(false, callers)].Average():0} without (mean of 2)"));
        }

        using (var store = SqlAuditStore.OpenSqlite(large))
        {
            var head = await store.LogHeadAsync(CancellationToken.None);
            var random = new Random(31);
            var inclusion = new List<double>();
            var consistency = new List<double>();
            var inclusionHashes = 0;
            var consistencyHashes = 0;
            for (var i = 0; i < 1000; i++)
            {
                var index = random.NextInt64(head.Size);
                var t0 = Stopwatch.GetTimestamp();
                var proof = await store.LogInclusionProofAsync(index, head.Size, CancellationToken.None);
                inclusion.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                inclusionHashes = Math.Max(inclusionHashes, proof.Count);
                var first = 1 + random.NextInt64(head.Size - 1);
                t0 = Stopwatch.GetTimestamp();
                var link = await store.LogConsistencyProofAsync(first, head.Size, CancellationToken.None);
                consistency.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                consistencyHashes = Math.Max(consistencyHashes, link.Count);
            }

            inclusion.Sort();
            consistency.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inclusion proof at {head.Size:N0} leaves: at most {inclusionHashes} hashes ({inclusionHashes * 32} bytes), p50 {Program.P(inclusion, 0.5):0} µs, p99 {Program.P(inclusion, 0.99):0} µs (1000 random leaves)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consistency proof to {head.Size:N0} leaves: at most {consistencyHashes} hashes ({consistencyHashes * 32} bytes), p50 {Program.P(consistency, 0.5):0} µs, p99 {Program.P(consistency, 0.99):0} µs (1000 random first sizes)"));
        }
    }

    private static CaDaemon.Audit.AuditRecord Intent() => new()
    {
        Serial = 0,
        Fields = new SshCertificateFields { Type = SshCertificateType.User, KeyId = "bench", Principals = ["load"], ValidAfter = 1, ValidBefore = 2 },
        SubjectKeyFingerprint = "SHA256:bench",
        CaKeyFingerprint = "SHA256:bench",
        Caller = "bench",
        AuthMethod = SshHsmCa.Policy.AuthMethod.MutualTls,
        SourceAddress = "bench",
        RequestId = "bench",
        CreatedAt = 1,
        Outcome = AuditOutcome.Pending,
    };

    /// <summary>Writes <paramref name="count"/> leaves, their tile-level subtrees and the head straight into the tables (what a long-lived log holds).</summary>
    private static void Fill(string path, int count)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var entry = connection.CreateCommand();
        entry.Transaction = transaction;
        entry.CommandText = "INSERT INTO log_entries (idx, kind, ref, entry, hash) VALUES ($i, 'reload', 0, $e, $h);";
        var idx = entry.Parameters.Add("$i", SqliteType.Integer);
        var bytes = entry.Parameters.Add("$e", SqliteType.Blob);
        var leafHash = entry.Parameters.Add("$h", SqliteType.Blob);
        using var node = connection.CreateCommand();
        node.Transaction = transaction;
        node.CommandText = "INSERT INTO log_nodes (level, idx, hash) VALUES ($l, $i, $h);";
        var level = node.Parameters.Add("$l", SqliteType.Integer);
        var nodeIndex = node.Parameters.Add("$i", SqliteType.Integer);
        var hash = node.Parameters.Add("$h", SqliteType.Blob);
        var range = CompactRange.Empty();
        for (var i = 0; i < count; i++)
        {
            var leaf = LogEntry.ForReload((ulong)i, "bench", BitConverter.GetBytes(i), "bench", "bench leaf").Encode();
            idx.Value = range.Size;
            bytes.Value = leaf;
            leafHash.Value = MerkleTree.LeafHash(leaf);
            entry.ExecuteNonQuery();
            foreach (var (l, n, h) in range.Append((byte[])leafHash.Value).Where(n => n.Level > 0 && n.Level % 8 == 0))
            {
                level.Value = l;
                nodeIndex.Value = n;
                hash.Value = h;
                node.ExecuteNonQuery();
            }
        }

        using var head = connection.CreateCommand();
        head.Transaction = transaction;
        head.CommandText = "UPDATE log_head SET size = $s, root = $r WHERE id = 1;";
        head.Parameters.AddWithValue("$s", range.Size);
        head.Parameters.AddWithValue("$r", range.Root());
        head.ExecuteNonQuery();
        transaction.Commit();
    }
}
