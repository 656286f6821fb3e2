using Microsoft.Data.Sqlite;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// Issue 31: the issuance log in the store. Each issued certificate and each revocation appends
/// its leaf in its record's transaction; the stored subtrees give the same root and proofs as a
/// tree recomputed from the leaves; the writer's right edge survives a restart and notices a head
/// it did not write.
/// </summary>
public sealed class IssuanceLogStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-log-").FullName;

    private string Database => Path.Combine(_dir, "audit.db");

    private static string Cert(ulong serial) => "ecdsa-sha2-nistp256-cert-v01@openssh.com " + Convert.ToBase64String(BitConverter.GetBytes(serial)) + " comment";

    private static AuditRecord Intent(string caller) => new()
    {
        Serial = 0,
        Fields = new SshCertificateFields { Type = SshCertificateType.Host, KeyId = "key id " + caller, Principals = ["web"], ValidAfter = 1, ValidBefore = 2 },
        SubjectKeyFingerprint = "SHA256:subject",
        CaKeyFingerprint = "SHA256:ca",
        Caller = caller,
        AuthMethod = SshHsmCa.Policy.AuthMethod.MutualTls,
        SourceAddress = "ipv4:127.0.0.1:5000",
        RequestId = "r",
        CreatedAt = 1_764_000_000,
        Outcome = AuditOutcome.Pending,
    };

    private static RevocationRecord Revocation(string reason, ulong lo, ulong hi) => new()
    {
        CreatedAt = 1_764_000_100,
        Caller = "operator",
        AuthMethod = SshHsmCa.Policy.AuthMethod.UnixSocket,
        SourceAddress = "unix:",
        Reason = reason,
        Selector = "serials",
        Items = [RevokedItem.Serials(SshCertificateType.Host, lo, hi)],
    };

    private static async Task<ulong> IssueAsync(SqlAuditStore store, string caller)
    {
        var serial = await store.ReserveAsync(Intent(caller), CancellationToken.None);
        await store.CommitIssuedAsync(serial, Cert(serial), CancellationToken.None);
        return serial;
    }

    private static byte[] RootOf(IEnumerable<LogEntryRef> entries)
    {
        var range = CompactRange.Empty();
        foreach (var entry in entries)
        {
            range.Append(MerkleTree.LeafHash(entry.Entry));
        }

        return range.Root();
    }

    [Fact]
    public async Task IssuedCertificatesAndRevocationsAppendLeavesThatProveAndFailedAttemptsDoNot()
    {
        using var store = SqlAuditStore.OpenSqlite(Database);
        store.Appliance = "ca-1";
        Assert.Equal(0, (await store.LogHeadAsync(CancellationToken.None)).Size);
        var issued = new List<ulong>();
        foreach (var i in Enumerable.Range(0, 37))
        {
            issued.Add(await IssueAsync(store, $"caller{i}"));
        }

        var failed = await store.ReserveAsync(Intent("x"), CancellationToken.None);
        await store.CommitFailedAsync(failed, "DeviceUnavailable", CancellationToken.None);
        var revocation = await store.RecordRevocationAsync(Revocation("key compromise", issued[0], issued[0]), CancellationToken.None);

        var head = await store.LogHeadAsync(CancellationToken.None);
        Assert.Equal(38, head.Size);
        var entries = await store.LogEntriesAsync(0, 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 38).Select(i => (long)i), entries.Select(e => e.Index));
        Assert.Equal(head.Root, RootOf(entries));
        Assert.Equal(head.Root, await store.LogTreeHashAsync(38, CancellationToken.None));
        Assert.Null(await store.FindLogEntryAsync("certificate", (long)failed, CancellationToken.None));

        var first = LogEntry.Parse(entries[0].Entry);
        Assert.Equal(LogEntryKind.Certificate, first.Kind);
        Assert.Equal(issued[0], first.Serial);
        Assert.Equal("ca-1", first.Appliance);
        Assert.Equal("caller0", first.Caller);
        Assert.Equal("key id caller0", first.Subject);
        Assert.Equal("host", first.Detail);
        Assert.Equal(LogEntry.BlobDigest(Cert(issued[0])), first.Digest.ToArray());
        var last = LogEntry.Parse(entries[^1].Entry);
        Assert.Equal(LogEntryKind.Revocation, last.Kind);
        Assert.Equal(revocation.Id, last.Serial);
        Assert.Equal($"krl {revocation.KrlVersion}: key compromise", last.Detail);

        // Every leaf proves into every later tree size, and every size is a prefix of the next.
        foreach (var size in new long[] { 1, 2, 5, 16, 17, 37, 38 })
        {
            var root = await store.LogTreeHashAsync(size, CancellationToken.None);
            Assert.Equal(RootOf(entries.Take((int)size)), root);
            for (var index = 0L; index < size; index += 3)
            {
                var proof = await store.LogInclusionProofAsync(index, size, CancellationToken.None);
                Assert.True(MerkleTree.VerifyInclusion(MerkleTree.LeafHash(entries[(int)index].Entry), index, size, proof, root), $"leaf {index} in {size}");
            }

            var consistency = await store.LogConsistencyProofAsync(size, 38, CancellationToken.None);
            Assert.True(MerkleTree.VerifyConsistency(size, 38, consistency, root, head.Root), $"{size} in 38");
        }

        var found = await store.FindLogEntryAsync("certificate", (long)issued[5], CancellationToken.None);
        Assert.Equal(5, found!.Index);
    }

    [Fact]
    public async Task BeyondATileProofsComputedFromTheStoredLevelsAgreeWithTheRecomputedTree()
    {
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            await Task.WhenAll(Enumerable.Range(0, 700).Select(i => store.AppendLogAsync(LogEntry.ForReload((ulong)i, "ca-1", BitConverter.GetBytes(i), "test", "leaf"), CancellationToken.None)));
        }

        // Reopened: the right edge comes from the stored levels (0 and 8) alone.
        using var reopened = SqlAuditStore.OpenSqlite(Database);
        await reopened.AppendLogAsync(LogEntry.ForReload(700, "ca-1", [7], "test", "leaf"), CancellationToken.None);
        var entries = await reopened.LogEntriesAsync(0, 1000, CancellationToken.None);
        Assert.Equal(701, entries.Count);
        var head = await reopened.LogHeadAsync(CancellationToken.None);
        Assert.Equal(head.Root, RootOf(entries));
        foreach (var size in new long[] { 255, 256, 257, 511, 512, 513, 700, 701 })
        {
            var root = await reopened.LogTreeHashAsync(size, CancellationToken.None);
            Assert.Equal(RootOf(entries.Take((int)size)), root);
            foreach (var index in new long[] { 0, 1, 127, 255, 256, 300, size - 1 }.Where(i => i < size))
            {
                var proof = await reopened.LogInclusionProofAsync(index, size, CancellationToken.None);
                Assert.True(MerkleTree.VerifyInclusion(MerkleTree.LeafHash(entries[(int)index].Entry), index, size, proof, root), $"leaf {index} in {size}");
            }

            var consistency = await reopened.LogConsistencyProofAsync(size, 701, CancellationToken.None);
            Assert.True(MerkleTree.VerifyConsistency(size, 701, consistency, root, head.Root), $"{size} in 701");
        }

        // Tiles: level 0 from the leaves' rows, and the one level-8 hash a 701-leaf tree has twice.
        Assert.Equal(256, (await reopened.LogHashesAsync(0, 256, 256, CancellationToken.None)).Count);
        Assert.Equal(2, (await reopened.LogHashesAsync(8, 0, 256, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task TheRightEdgeIsReadBackAfterARestartAndTheTreeGoesOnAsOne()
    {
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            for (var i = 0; i < 11; i++)
            {
                await IssueAsync(store, "a");
            }
        }

        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            for (var i = 0; i < 6; i++)
            {
                await IssueAsync(store, "b");
            }

            var head = await store.LogHeadAsync(CancellationToken.None);
            Assert.Equal(17, head.Size);
            Assert.Equal(head.Root, RootOf(await store.LogEntriesAsync(0, 100, CancellationToken.None)));
        }
    }

    [Fact]
    public async Task AStoredHashChangedOutsideTheDaemonStopsTheNextAppendAndNamesWhy()
    {
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            for (var i = 0; i < 6; i++)
            {
                await IssueAsync(store, "a");
            }
        }

        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE log_entries SET hash = zeroblob(32) WHERE idx = 2;";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        using var reopened = SqlAuditStore.OpenSqlite(Database);
        var serial = await reopened.ReserveAsync(Intent("b"), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => reopened.CommitIssuedAsync(serial, Cert(serial), CancellationToken.None));
        Assert.Contains("changed outside the daemon", refused.Message, StringComparison.Ordinal);

        // Nothing was committed for it: no record, no leaf.
        Assert.Equal(6, (await reopened.LogHeadAsync(CancellationToken.None)).Size);
        Assert.Equal(AuditOutcome.Pending, (await reopened.GetAsync(serial, CancellationToken.None))!.Outcome);
    }

    [Fact]
    public async Task AStoreFromBeforeTheLogGetsLeavesForItsRecordsOnceAtTheUpgrade()
    {
        var issued = new List<ulong>();
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            store.AppendsLeaves = false;
            for (var i = 0; i < 7; i++)
            {
                issued.Add(await IssueAsync(store, $"old{i}"));
            }

            await store.RecordRevocationAsync(Revocation("old", issued[1], issued[2]), CancellationToken.None);
        }

        // As version 7 left it: no log tables.
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE log_head; DROP TABLE log_entries; DROP TABLE log_nodes; DROP TABLE log_checkpoints; PRAGMA user_version = 7;";
            command.ExecuteNonQuery();
        }

        using (var upgraded = SqlAuditStore.OpenSqlite(Database))
        {
            var entries = await upgraded.LogEntriesAsync(0, 100, CancellationToken.None);
            Assert.Equal(8, entries.Count);
            Assert.Equal(issued, entries.Take(7).Select(e => LogEntry.Parse(e.Entry).Serial));
            Assert.All(entries, e => Assert.Equal(SqlAuditStore.UpgradeAppliance, LogEntry.Parse(e.Entry).Appliance));
            Assert.Equal(LogEntryKind.Revocation, LogEntry.Parse(entries[7].Entry).Kind);
            Assert.Equal((await upgraded.LogHeadAsync(CancellationToken.None)).Root, RootOf(entries));
            Assert.Empty(await upgraded.UnloggedCertificatesAsync(10, CancellationToken.None));
        }

        // Once: a row planted later stays without a leaf, whatever the opens that follow.
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                INSERT INTO certificates (serial, type, key_id, principals, valid_after, valid_before, critical_options, extensions,
                    subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, outcome, certificate)
                SELECT 99999, type, key_id, principals, valid_after, valid_before, critical_options, extensions,
                    subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, outcome, certificate
                FROM certificates WHERE serial = {issued[6]};
                """;
            command.ExecuteNonQuery();
        }

        using var reopened = SqlAuditStore.OpenSqlite(Database);
        Assert.Equal(8, (await reopened.LogHeadAsync(CancellationToken.None)).Size);
        Assert.Equal([99999UL], await reopened.UnloggedCertificatesAsync(10, CancellationToken.None));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
