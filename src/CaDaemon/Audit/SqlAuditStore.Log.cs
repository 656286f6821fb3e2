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
    private static string LogTables(string bytes) => $"""
        CREATE TABLE log_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            size BIGINT NOT NULL,
            root {bytes} NOT NULL
        );
        CREATE TABLE log_entries (
            idx BIGINT PRIMARY KEY,
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
        );
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

    /// <summary>The name this appliance writes into its leaves (<c>applianceName</c>, or the machine's).</summary>
    public string Appliance { get; set; } = Environment.MachineName;

    /// <summary>Creates the head row of an empty log (at open, after the migrations).</summary>
    private static void EnsureLogHead(DbConnection connection)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO log_head (id, size, root) VALUES (1, 0, @root) ON CONFLICT (id) DO NOTHING;";
        insert.AddParameter("@root", MerkleTree.EmptyRoot);
        insert.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async Task<long> AppendLogAsync(LogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var kind = entry.Kind switch { LogEntryKind.CaKeyState => "ca-key", LogEntryKind.Reload => "reload", _ => throw new ArgumentException("certificates and revocations are appended with their record", nameof(entry)) };
        return (long)await EnqueueAsync(transaction => (ulong)Append(transaction, entry, kind, 0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends a leaf inside <paramref name="transaction"/>; returns its index. O(log n): the leaf, the subtrees it closes, the head.</summary>
    private long Append(DbTransaction transaction, LogEntry entry, string kind, long reference)
    {
        var bytes = entry.Encode();
        var head = ReadHead(_connection, transaction, forUpdate: _dialect == SqlDialect.Postgres);
        if (head.Size != _range.Size || !head.Root.AsSpan().SequenceEqual(_rangeRoot))
        {
            _range = LoadRange(_connection, transaction, head);
            _rangeRoot = head.Root;
        }

        var index = head.Size;
        using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO log_entries (idx, kind, ref, entry) VALUES (@idx, @kind, @ref, @entry);";
            insert.AddParameter("@idx", index);
            insert.AddParameter("@kind", kind);
            insert.AddParameter("@ref", reference);
            insert.AddParameter("@entry", bytes);
            insert.ExecuteNonQuery();
        }

        // The copy is changed only once the rows are in: a failure before leaves it as the head says.
        var range = new CompactRange(_range.Size, _range.Roots);
        using (var node = _connection.CreateCommand())
        {
            node.Transaction = transaction;
            node.CommandText = "INSERT INTO log_nodes (level, idx, hash) VALUES (@level, @idx, @hash);";
            foreach (var (level, idx, hash) in range.Append(MerkleTree.LeafHash(bytes)))
            {
                node.Parameters.Clear();
                node.AddParameter("@level", level);
                node.AddParameter("@idx", idx);
                node.AddParameter("@hash", hash);
                node.ExecuteNonQuery();
            }
        }

        var root = range.Root();
        using (var update = _connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE log_head SET size = @size, root = @root WHERE id = 1;";
            update.AddParameter("@size", range.Size);
            update.AddParameter("@root", root);
            update.ExecuteNonQuery();
        }

        _range = range;
        _rangeRoot = root;
        return index;
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
