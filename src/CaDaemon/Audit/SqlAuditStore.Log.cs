using System.Data.Common;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The issuance log in SQL (docs/audit-log.md): <c>log_entries</c> (the leaves), <c>log_nodes</c>
/// (every complete subtree's hash, what proofs read), <c>log_head</c> (size and root, one row that
/// every append updates: on PostgreSQL it is read <c>FOR UPDATE</c>, so appliances writing one
/// log append one after the other) and <c>log_checkpoints</c>. An append runs inside the
/// transaction of the record it describes, so a certificate is never committed without its leaf.
/// The writer keeps the tree's right edge (<see cref="CompactRange"/>) between appends and reloads
/// it (O(log n) rows) whenever the head is not the one it last wrote: after a rollback, or another
/// appliance's append.
/// </summary>
internal sealed partial class SqlAuditStore : ILogStore
{
    /// <summary>The log's tables; SQLite gets a rowid key for the leaves and no rowid for the subtrees (one B-tree each, fewer pages per commit).</summary>
    private static string LogTables(bool sqlite) => LogTables(sqlite ? "BLOB" : "BYTEA", sqlite ? "INTEGER" : "BIGINT", sqlite ? " WITHOUT ROWID" : string.Empty);

    private static string LogTables(string bytes, string key, string withoutRowid) => $"""
        CREATE TABLE log_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            size BIGINT NOT NULL,
            root {bytes} NOT NULL
        );
        CREATE TABLE log_entries (
            idx {key} PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('certificate', 'revocation', 'ca-key', 'reload')),
            ref BIGINT NOT NULL,
            entry {bytes} NOT NULL
        );
        CREATE INDEX log_entries_by_ref ON log_entries(kind, ref);
        CREATE TABLE log_nodes (
            level INTEGER NOT NULL,
            idx BIGINT NOT NULL,
            hash {bytes} NOT NULL,
            PRIMARY KEY (level, idx)
        ){withoutRowid};
        CREATE TABLE log_checkpoints (
            size BIGINT NOT NULL,
            signer TEXT NOT NULL,
            root {bytes} NOT NULL,
            signature_line TEXT NOT NULL,
            sshsig TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (size, signer)
        );
        """;

    /// <summary>The writer's copy of the tree's right edge and the root it makes (touched by the write loop only).</summary>
    private CompactRange _range = CompactRange.Empty();
    private byte[] _rangeRoot = MerkleTree.EmptyRoot;

    /// <summary>
    /// Whether records append their leaves (always, but in the benchmark that measures what the
    /// log costs: bench/Daemon.Benchmarks --issuance-log turns it off for its "without" rows).
    /// </summary>
    internal bool AppendsLeaves { get; set; } = true;

    /// <summary>The name this appliance writes into its leaves (<c>applianceName</c>, or the machine's).</summary>
    public string Appliance { get; set; } = Environment.MachineName;

    /// <summary>The appliance named in the leaves of records written before the log existed.</summary>
    public const string UpgradeAppliance = "upgrade";

    /// <summary>
    /// Once, when the migration that creates the log runs on a store with records: every issued
    /// certificate (by serial), then every revocation (by id), gets its leaf, named as appended at
    /// the <see cref="UpgradeAppliance"/>, so the log covers what came before it. Never at a later
    /// open: a row planted afterwards must stay without a leaf, where verification finds it.
    /// </summary>
    private async Task BackfillLogAsync()
    {
        for (ulong after = 0; ;)
        {
            var records = await QueryAsync("SELECT * FROM certificates WHERE outcome = 'issued' AND serial > @after ORDER BY serial LIMIT 500;", [("@after", (long)after)], CancellationToken.None).ConfigureAwait(false);
            if (records.Count == 0)
            {
                break;
            }

            await EnqueueAsync(transaction =>
            {
                foreach (var record in records)
                {
                    Append(transaction, LogEntries.Certificate(record, UpgradeAppliance), "certificate", (long)record.Serial);
                }

                return 0;
            }, CancellationToken.None).ConfigureAwait(false);
            after = records[^1].Serial;
        }

        var revocations = new List<RevocationRecord>();
        for (ulong? before = null; ;)
        {
            var page = await ListRevocationsAsync(before, 1000, CancellationToken.None).ConfigureAwait(false);
            revocations.AddRange(page);
            if (page.Count < 1000)
            {
                break;
            }

            before = page[^1].Id;
        }

        revocations.Reverse();
        foreach (var chunk in revocations.Chunk(500))
        {
            await EnqueueAsync(transaction =>
            {
                foreach (var revocation in chunk)
                {
                    Append(transaction, LogEntries.Revocation(revocation, UpgradeAppliance), "revocation", (long)revocation.Id);
                }

                return 0;
            }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Creates the head row of an empty log (at open, after the migrations).</summary>
    private static void EnsureLogHead(DbConnection connection)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO log_head (id, size, root) VALUES (1, 0, @root) ON CONFLICT (id) DO NOTHING;";
        insert.AddParameter("@root", MerkleTree.EmptyRoot);
        insert.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public Task AppendLogAsync(LogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var kind = entry.Kind switch { LogEntryKind.CaKeyState => "ca-key", LogEntryKind.Reload => "reload", _ => throw new ArgumentException("certificates and revocations are appended with their record", nameof(entry)) };
        return EnqueueAsync(transaction =>
        {
            Append(transaction, entry, kind, 0);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Queues a leaf for the transaction of the write under way: the group commit appends the
    /// leaves of its writes that succeeded, in order, just before it commits (<see cref="FlushLeaves"/>),
    /// so a record and its leaf are committed together or not at all, and a batch costs one head
    /// update and a few multi-row inserts however many leaves it carries.
    /// </summary>
    private void Append(DbTransaction transaction, LogEntry entry, string kind, long reference)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (AppendsLeaves)
        {
            _pendingLeaves.Add(new PendingLeaf(entry.Encode(), kind, reference, _currentWrite));
        }
    }

    /// <summary>A leaf waiting for its group commit, with the write that queued it.</summary>
    private sealed record PendingLeaf(byte[] Entry, string Kind, long Reference, int Write);

    /// <summary>Leaves queued by the writes of the batch under way (write loop only).</summary>
    private readonly List<PendingLeaf> _pendingLeaves = [];

    /// <summary>The write of the batch under way (write loop only).</summary>
    private int _currentWrite;

    /// <summary>Rows per multi-row insert (SQLite allows 32766 parameters).</summary>
    private const int RowsPerInsert = 200;

    /// <summary>
    /// Appends the batch's leaves inside its transaction: the head (read <c>FOR UPDATE</c> on
    /// PostgreSQL: appliances append one after the other), the right edge reloaded and checked if
    /// the head is not the one this writer left, the leaves and the subtrees they close, the new
    /// head. O(k + log n) for k leaves.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stored tree does not make the head's root (changed outside the daemon).</exception>
    private void FlushLeaves(DbTransaction transaction)
    {
        if (_pendingLeaves.Count == 0)
        {
            return;
        }

        var head = ReadHead(_connection, transaction, forUpdate: _dialect == SqlDialect.Postgres);
        if (head.Size != _range.Size || !head.Root.AsSpan().SequenceEqual(_rangeRoot))
        {
            _range = LoadRange(_connection, transaction, head);
            _rangeRoot = head.Root;
        }

        // The copy becomes the writer's only once every row is in.
        var range = new CompactRange(_range.Size, _range.Roots);
        var entries = new List<object[]>(_pendingLeaves.Count);
        var nodes = new List<object[]>(_pendingLeaves.Count * 2);
        foreach (var leaf in _pendingLeaves)
        {
            entries.Add([range.Size, leaf.Kind, leaf.Reference, leaf.Entry]);
            foreach (var (level, index, hash) in range.Append(MerkleTree.LeafHash(leaf.Entry)))
            {
                nodes.Add([level, index, hash]);
            }
        }

        InsertRows(transaction, "log_entries (idx, kind, ref, entry)", entries);
        InsertRows(transaction, "log_nodes (level, idx, hash)", nodes);
        var root = range.Root();
        using (var update = _connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE log_head SET size = @size, root = @root WHERE id = 1;";
            update.AddParameter("@size", range.Size);
            update.AddParameter("@root", root);
            update.ExecuteNonQuery();
        }

        _pendingLeaves.Clear();
        _range = range;
        _rangeRoot = root;
    }

    /// <summary>Multi-row inserts of <paramref name="rows"/> into <paramref name="table"/> ("name (columns)").</summary>
    private void InsertRows(DbTransaction transaction, string table, List<object[]> rows)
    {
        foreach (var chunk in rows.Chunk(RowsPerInsert))
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            var values = new System.Text.StringBuilder();
            for (var r = 0; r < chunk.Length; r++)
            {
                values.Append(r == 0 ? "(" : ",(");
                for (var c = 0; c < chunk[r].Length; c++)
                {
                    var name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"@p{r}_{c}");
                    values.Append(c == 0 ? name : "," + name);
                    insert.AddParameter(name, chunk[r][c]);
                }

                values.Append(')');
            }

            insert.CommandText = $"INSERT INTO {table} VALUES {values};";
            insert.ExecuteNonQuery();
        }
    }

    private static LogHead ReadHead(DbConnection connection, DbTransaction? transaction, bool forUpdate)
    {
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT size, root FROM log_head WHERE id = 1" + (forUpdate ? " FOR UPDATE;" : ";");
        using var reader = read.ExecuteReader();
        return reader.Read()
            ? new LogHead(reader.GetInt64(0), (byte[])reader.GetValue(1))
            : throw new InvalidOperationException("the issuance log has no head row");
    }

    /// <summary>The right edge of the tree the head describes, read from the stored subtrees and checked against the head's root.</summary>
    private static CompactRange LoadRange(DbConnection connection, DbTransaction transaction, LogHead head)
    {
        var roots = new List<byte[]>();
        for (var level = 62; level >= 0; level--)
        {
            if ((head.Size & (1L << level)) != 0)
            {
                roots.Add(ReadNode(connection, transaction, level, (head.Size >> level) - 1));
            }
        }

        var range = new CompactRange(head.Size, roots);
        return range.Root().AsSpan().SequenceEqual(head.Root)
            ? range
            : throw new InvalidOperationException($"the issuance log's stored subtrees do not make the root of its head (size {head.Size}): the log was changed outside the daemon; run 'ssh-hsm-ca audit verify --records'");
    }

    private static byte[] ReadNode(DbConnection connection, DbTransaction? transaction, int level, long index)
    {
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT hash FROM log_nodes WHERE level = @level AND idx = @idx;";
        read.AddParameter("@level", level);
        read.AddParameter("@idx", index);
        return read.ExecuteScalar() is byte[] { Length: MerkleTree.HashLength } hash
            ? hash
            : throw new InvalidOperationException($"the issuance log has no stored hash at level {level} index {index}: the log was changed outside the daemon");
    }

    /// <inheritdoc />
    public Task<LogHead> LogHeadAsync(CancellationToken cancellationToken) => ReadAsync(reader => ReadHead(reader, null, forUpdate: false), cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> LogTreeHashAsync(long size, CancellationToken cancellationToken) =>
        ReadAsync(reader => MerkleTree.TreeHash(size, (level, index) => ReadNode(reader, null, level, index)), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> LogInclusionProofAsync(long index, long size, CancellationToken cancellationToken) =>
        ReadAsync(reader => MerkleTree.InclusionProof(index, size, (level, i) => ReadNode(reader, null, level, i)), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> LogConsistencyProofAsync(long first, long second, CancellationToken cancellationToken) =>
        ReadAsync(reader => MerkleTree.ConsistencyProof(first, second, (level, i) => ReadNode(reader, null, level, i)), cancellationToken);

    /// <inheritdoc />
    public async Task<LogEntryRef?> FindLogEntryAsync(string kind, long reference, CancellationToken cancellationToken)
    {
        var found = await ReadAsync<IReadOnlyList<LogEntryRef>>(reader => ReadEntries(reader, "SELECT idx, kind, ref, entry FROM log_entries WHERE kind = @kind AND ref = @ref ORDER BY idx LIMIT 1;", [("@kind", kind), ("@ref", reference)]), cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LogEntryRef>> LogEntriesAsync(long start, int count, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<LogEntryRef>>(reader => ReadEntries(reader, "SELECT idx, kind, ref, entry FROM log_entries WHERE idx >= @start ORDER BY idx LIMIT @count;", [("@start", start), ("@count", Math.Clamp(count, 1, 10_000))]), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> LogHashesAsync(int level, long start, int count, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<byte[]>>(reader =>
        {
            using var read = reader.CreateCommand();
            read.CommandText = "SELECT hash FROM log_nodes WHERE level = @level AND idx >= @start AND idx < @end ORDER BY idx;";
            read.AddParameter("@level", level);
            read.AddParameter("@start", start);
            read.AddParameter("@end", start + Math.Clamp(count, 1, 256));
            using var rows = read.ExecuteReader();
            var hashes = new List<byte[]>();
            while (rows.Read())
            {
                hashes.Add((byte[])rows.GetValue(0));
            }

            return hashes;
        }, cancellationToken);

    private static List<LogEntryRef> ReadEntries(DbConnection reader, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        using var read = reader.CreateCommand();
        read.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            read.AddParameter(name, value);
        }

        using var rows = read.ExecuteReader();
        var entries = new List<LogEntryRef>();
        while (rows.Read())
        {
            entries.Add(new LogEntryRef(rows.GetInt64(0), rows.GetString(1), rows.GetInt64(2), (byte[])rows.GetValue(3)));
        }

        return entries;
    }

    /// <inheritdoc />
    public Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return EnqueueAsync(transaction =>
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO log_checkpoints (size, signer, root, signature_line, sshsig, created_at)
                VALUES (@size, @signer, @root, @line, @sshsig, @at) ON CONFLICT (size, signer) DO NOTHING;
                """;
            insert.AddParameter("@size", checkpoint.Size);
            insert.AddParameter("@signer", checkpoint.Signer);
            insert.AddParameter("@root", checkpoint.Root);
            insert.AddParameter("@line", checkpoint.SignatureLine);
            insert.AddParameter("@sshsig", checkpoint.SshSig);
            insert.AddParameter("@at", (long)checkpoint.CreatedAt);
            insert.ExecuteNonQuery();
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredCheckpoint>> LatestCheckpointsAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredCheckpoint>>(reader => ReadCheckpoints(reader, "SELECT size, signer, root, signature_line, sshsig, created_at FROM log_checkpoints WHERE size = (SELECT MAX(size) FROM log_checkpoints) ORDER BY signer;", []), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredCheckpoint>> CheckpointsByAsync(string? signer, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredCheckpoint>>(reader => signer is null
            ? ReadCheckpoints(reader, "SELECT size, signer, root, signature_line, sshsig, created_at FROM log_checkpoints ORDER BY size, signer;", [])
            : ReadCheckpoints(reader, "SELECT size, signer, root, signature_line, sshsig, created_at FROM log_checkpoints WHERE signer = @signer ORDER BY size;", [("@signer", signer)]), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ulong>> UnloggedCertificatesAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ulong>>(reader =>
        {
            using var read = reader.CreateCommand();
            read.CommandText = "SELECT serial FROM certificates WHERE outcome = 'issued' AND NOT EXISTS (SELECT 1 FROM log_entries WHERE kind = 'certificate' AND ref = certificates.serial) ORDER BY serial LIMIT @limit;";
            read.AddParameter("@limit", Math.Clamp(limit, 1, 10_000));
            using var rows = read.ExecuteReader();
            var serials = new List<ulong>();
            while (rows.Read())
            {
                serials.Add((ulong)rows.GetInt64(0));
            }

            return serials;
        }, cancellationToken);

    private static List<StoredCheckpoint> ReadCheckpoints(DbConnection reader, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        using var read = reader.CreateCommand();
        read.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            read.AddParameter(name, value);
        }

        using var rows = read.ExecuteReader();
        var checkpoints = new List<StoredCheckpoint>();
        while (rows.Read())
        {
            checkpoints.Add(new StoredCheckpoint(rows.GetInt64(0), rows.GetString(1), (byte[])rows.GetValue(2), rows.GetString(3), rows.GetString(4), (ulong)rows.GetInt64(5)));
        }

        return checkpoints;
    }

    /// <summary>Runs <paramref name="read"/> on the reader connection, one read at a time.</summary>
    private Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken) => ReadAsync(() => read(Reader), cancellationToken);
}
