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
/// What the issuance log costs (issue 31): the issuance rate with and without leaves, daemons
/// alternated in one run (with, without, with, without; P-256 on SoftHSM2, mTLS on loopback);
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

        Console.WriteLine($"Issuance log: P-256 on SoftHSM2, mTLS on loopback, {seconds} s per cell after {Program.WarmUpSeconds} s of warm-up per daemon, {Environment.ProcessorCount} cores shared");
        Console.WriteLine("| round | leaves | concurrency | certificates/s | p50 ms | p99 ms | errors |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        var rates = new Dictionary<(bool, int), List<double>>();
        for (var round = 1; round <= 2; round++)
        {
            foreach (var withLog in new[] { true, false })
            {
                var port = Program.FreePort();
                var app = DaemonHost.Build(options("p256", port, $"audit-log-{round}-{withLog}.db"), [], logging => logging.SetMinimumLevel(LogLevel.Warning));
                ((SqlAuditStore)app.Services.GetService(typeof(IAuditStore))!).AppendsLeaves = withLog;
                await app.StartAsync();
                try
                {
                    var client = DevClients.Tls(dir, port);
                    var request = new SignUserCertificateRequest { PublicKey = Program.LoadKey };
                    await Program.LoadAsync([client], request, 1, Program.WarmUpSeconds);
                    foreach (var concurrency in new[] { 1, 16, 64 })
                    {
                        var (rate, latencies, errors) = await Program.LoadAsync([client], request, concurrency, seconds);
                        latencies.Sort();
                        (rates.TryGetValue((withLog, concurrency), out var list) ? list : rates[(withLog, concurrency)] = []).Add(rate);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {round} | {(withLog ? "with" : "without")} | {concurrency} | {rate:0} | {Program.P(latencies, 0.5):0.00} | {Program.P(latencies, 0.99):0.00} | {errors} |"));
                    }
                }
                finally
                {
                    await app.StopAsync();
                    await app.DisposeAsync();
                }
            }
        }

        foreach (var concurrency in new[] { 1, 16, 64 })
        {
            var with = rates[(true, concurrency)].Average();
            var without = rates[(false, concurrency)].Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"concurrency {concurrency}: {with:0} with the log, {without:0} without (mean of 2): the log costs {(without - with) / without:P1} of the rate"));
        }

        await StoreAsync(dir, leaves);
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
