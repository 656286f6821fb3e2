using Microsoft.Data.Sqlite;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class SqliteAuditStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-audit-").FullName;

    private string Database => Path.Combine(_dir, "audit.db");

    private static AuditRecord Intent(string principal = "alice", string caller = "alice@example.com") => new()
    {
        Serial = 0,
        Fields = new SshCertificateFields
        {
            Type = SshCertificateType.User,
            KeyId = "key id",
            Principals = [principal, "shared"],
            ValidAfter = 1,
            ValidBefore = ulong.MaxValue,
            CriticalOptions = SshOptionSet.Create(SshOptionKind.Critical, [SshOption.WithValue("force-command", "/bin/true"), SshOption.Flag("verify-required")]),
            Extensions = SshOptionSet.Create(SshOptionKind.Extension, [SshOption.Flag("permit-pty"), SshOption.WithData("blob@example.com", new byte[] { 0, 1, 2, 0xff })]),
        },
        SubjectKeyFingerprint = "SHA256:subject",
        CaKeyFingerprint = "SHA256:ca",
        Caller = caller,
        AuthMethod = SshHsmCa.Policy.AuthMethod.MutualTls,
        SourceAddress = "ipv4:127.0.0.1:5000",
        RequestId = "r1",
        CreatedAt = 1_764_000_000,
        Outcome = AuditOutcome.Pending,
    };

    /// <summary>A certificate line as the store keeps it (the log hashes its blob); the bytes need not be a certificate here.</summary>
    private static string Cert(string tag = "cert") => "ssh-ed25519-cert-v01@openssh.com " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(tag));

    [Fact]
    public async Task RowsLeftPendingByAnEarlierVersionAreResolvedAsInterruptedAtOpen()
    {
        ulong issued;
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            Assert.Equal(0, store.InterruptedAtOpen);
            issued = await store.ReserveAsync(Intent(), CancellationToken.None);
            await store.CommitIssuedAsync(issued, Cert(), CancellationToken.None);
        }

        // Before 0.2.0 the intent was a row: one left 'pending' by a process that stopped (kill -9).
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO certificates (serial, type, key_id, principals, valid_after, valid_before, critical_options, extensions,
                    subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, outcome)
                VALUES (9000, 'user', 'k', '[]', '0', '1', '[]', '[]', 's', 'c', 'alice', 'MutualTls', '', 'r', 0, 'pending');
                """;
            command.ExecuteNonQuery();
        }

        using var reopened = SqlAuditStore.OpenSqlite(Database);
        Assert.Equal(1, reopened.InterruptedAtOpen);
        var record = await reopened.GetAsync(9000, CancellationToken.None);
        Assert.Equal(AuditOutcome.Failed, record!.Outcome);
        Assert.StartsWith("interrupted:", record.Failure, StringComparison.Ordinal);
        Assert.Equal(AuditOutcome.Issued, (await reopened.GetAsync(issued, CancellationToken.None))!.Outcome);
        Assert.True(await reopened.ReserveAsync(Intent(), CancellationToken.None) > 9000);
    }

    /// <summary>
    /// Issue 27, point 4: the stored row keeps the certificate's fields in the one shape, and options
    /// read back exactly as signed (before, "name value" text lost data that was not one string).
    /// Rows written by 0.2.0 still read.
    /// </summary>
    [Fact]
    public async Task OptionsReadBackExactlyAsSignedAndRowsOfTheOldFormStillRead()
    {
        var intent = Intent();
        ulong serial;
        ulong old;
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            serial = await store.ReserveAsync(intent, CancellationToken.None);
            await store.CommitIssuedAsync(serial, Cert(), CancellationToken.None);
            old = await store.ReserveAsync(intent, CancellationToken.None);
            await store.CommitIssuedAsync(old, Cert(), CancellationToken.None);
        }

        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = """UPDATE certificates SET critical_options = '["force-command /bin/true","verify-required"]', extensions = '["permit-pty"]' WHERE serial = $serial""";
            update.Parameters.AddWithValue("$serial", (long)old);
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        using var reopened = SqlAuditStore.OpenSqlite(Database);
        var record = (await reopened.GetAsync(serial, CancellationToken.None))!;
        Assert.Equal(intent.Fields.CriticalOptions.ToArray(), record.Fields.CriticalOptions.ToArray());
        Assert.Equal(intent.Fields.Extensions.ToArray(), record.Fields.Extensions.ToArray());
        Assert.Equal(new byte[] { 0, 1, 2, 0xff }, record.Fields.Extensions.Find("blob@example.com")!.Data.ToArray());

        var legacy = (await reopened.GetAsync(old, CancellationToken.None))!;
        Assert.Equal(intent.Fields.CriticalOptions.ToArray(), legacy.Fields.CriticalOptions.ToArray());
        Assert.Equal([SshOption.Flag("permit-pty")], legacy.Fields.Extensions.ToArray());
    }

    [Fact]
    public async Task AReservationWritesNothingAndItsSerialIsNeverHandedOutAgainAfterAStop()
    {
        ulong reserved;
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            reserved = await store.ReserveAsync(Intent(), CancellationToken.None);
            Assert.Equal(AuditOutcome.Pending, (await store.GetAsync(reserved, CancellationToken.None))!.Outcome);
            Assert.Empty(await store.ListAsync(null, null, null, 50, CancellationToken.None));
        }

        // As after kill -9 between the reservation and the outcome: no row, and no reuse.
        using var reopened = SqlAuditStore.OpenSqlite(Database);
        Assert.Equal(0, reopened.InterruptedAtOpen);
        Assert.Null(await reopened.GetAsync(reserved, CancellationToken.None));
        var next = await reopened.ReserveAsync(Intent(), CancellationToken.None);
        Assert.True(next > reserved, $"serial {next} after {reserved}");
        await Assert.ThrowsAsync<InvalidOperationException>(() => reopened.CommitIssuedAsync(reserved, "late", CancellationToken.None));
    }

    [Fact]
    public async Task SerialsStayUniqueAcrossBlocksAndRestarts()
    {
        var all = new List<ulong>();
        for (var run = 0; run < 3; run++)
        {
            using var store = SqlAuditStore.OpenSqlite(Database);
            var serials = await Task.WhenAll(Enumerable.Range(0, 5000).Select(_ => store.ReserveAsync(Intent(), CancellationToken.None)));
            await Task.WhenAll(serials.Take(10).Select(s => store.CommitIssuedAsync(s, Cert(), CancellationToken.None)));
            all.AddRange(serials);
        }

        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.DoesNotContain(0UL, all);
    }

    [Fact]
    public async Task ConcurrentReservationsGetUniqueNonZeroSerialsAndEveryRecordSurvivesReopening()
    {
        ulong[] serials;
        using (var store = SqlAuditStore.OpenSqlite(Database))
        {
            serials = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => store.ReserveAsync(Intent($"user{i}"), CancellationToken.None)));
            await Task.WhenAll(serials.Select((s, i) => i % 2 == 0
                ? store.CommitIssuedAsync(s, Cert($"cert-{s}"), CancellationToken.None)
                : store.CommitFailedAsync(s, "DeviceUnavailable", CancellationToken.None)));
        }

        Assert.Equal(500, serials.Distinct().Count());
        Assert.DoesNotContain(0UL, serials);
        using var reopened = SqlAuditStore.OpenSqlite(Database);
        foreach (var (serial, i) in serials.Select((s, i) => (s, i)))
        {
            var record = await reopened.GetAsync(serial, CancellationToken.None);
            Assert.NotNull(record);
            Assert.Equal(i % 2 == 0 ? AuditOutcome.Issued : AuditOutcome.Failed, record.Outcome);
            Assert.Equal([$"user{i}", "shared"], record.Fields.Principals);
            Assert.Equal(ulong.MaxValue, record.Fields.ValidBefore);
        }
    }

    [Fact]
    public async Task AnOutcomeIsWrittenOnceAndAFailedWriteDoesNotSpoilItsBatch()
    {
        using var store = SqlAuditStore.OpenSqlite(Database);
        var a = await store.ReserveAsync(Intent(), CancellationToken.None);
        var b = await store.ReserveAsync(Intent(), CancellationToken.None);
        await store.CommitIssuedAsync(a, Cert("cert-a"), CancellationToken.None);
        var again = store.CommitFailedAsync(a, "late", CancellationToken.None);
        var other = store.CommitIssuedAsync(b, Cert("cert-b"), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => again);
        await other;
        Assert.Equal(Cert("cert-a"), (await store.GetAsync(a, CancellationToken.None))!.Certificate);
        Assert.Equal(AuditOutcome.Issued, (await store.GetAsync(b, CancellationToken.None))!.Outcome);
        Assert.Null(await store.GetAsync(999, CancellationToken.None));
    }

    [Fact]
    public async Task ListFiltersByPrincipalAndCallerNewestFirstWithPaging()
    {
        using var store = SqlAuditStore.OpenSqlite(Database);
        var serials = new List<ulong>();
        for (var i = 0; i < 7; i++)
        {
            serials.Add(await store.ReserveAsync(Intent(i % 2 == 0 ? "even" : "odd", i < 3 ? "early" : "late"), CancellationToken.None));
            await store.CommitIssuedAsync(serials[^1], Cert(), CancellationToken.None);
        }

        Assert.Equal(serials.Where((_, i) => i % 2 == 0).Reverse(), (await store.ListAsync("even", null, null, 50, CancellationToken.None)).Select(r => r.Serial));
        Assert.Equal(3, (await store.ListAsync(null, "early", null, 50, CancellationToken.None)).Count);
        var first = await store.ListAsync("shared", null, null, 4, CancellationToken.None);
        var second = await store.ListAsync("shared", null, first[^1].Serial, 4, CancellationToken.None);
        Assert.Equal(serials.AsEnumerable().Reverse(), first.Concat(second).Select(r => r.Serial));
    }

    [Fact]
    public void OpeningMigratesAndRefusesANewerSchema()
    {
        using (SqlAuditStore.OpenSqlite(Database))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version;";
            Assert.Equal(8L, command.ExecuteScalar());
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", command.ExecuteScalar());
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }

        Assert.Contains("newer", Assert.Throws<InvalidOperationException>(() => SqlAuditStore.OpenSqlite(Database)).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void StoredNamesReadBackIncludingThoseOfRecordsBefore020()
    {
        Assert.Equal(SshHsmCa.Policy.AuthMethod.MutualTls, AuditNames.ParseAuthMethod("mtls"));
        Assert.Equal(SshHsmCa.Policy.AuthMethod.MutualTls, AuditNames.ParseAuthMethod("MutualTls"));
        Assert.Equal(SshHsmCa.Policy.AuthMethod.HostCertificate, AuditNames.ParseAuthMethod("host-certificate"));
        Assert.Throws<InvalidDataException>(() => AuditNames.ParseAuthMethod("2"));
        Assert.Throws<InvalidDataException>(() => AuditNames.ParseAuthMethod("kerberos"));
        Assert.Equal(AuditOutcome.Failed, AuditNames.ParseOutcome("failed"));
        Assert.Throws<InvalidDataException>(() => AuditNames.ParseOutcome("FAILED"));
    }
}
