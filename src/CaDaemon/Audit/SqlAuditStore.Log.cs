using System.Data.Common;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The issuance log in SQL (docs/audit-log.md): <c>log_entries</c> (the leaves and their hashes),
/// <c>log_nodes</c> (the complete subtrees at levels 8, 16, …: the levels of tiles; every other
/// hash a proof needs is computed from at most 128 of the level below), <c>log_head</c> (size and root, one row that
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
            entry {bytes} NOT NULL,
            hash {bytes} NOT NULL
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
    /// update and one prepared insert per leaf (and per 256th, a subtree) however many leaves it carries.
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

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            FlushPending(transaction);
        }
        finally
        {
            Interlocked.Add(ref _flushTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _flushes);
        }
    }

    private long _flushTicks;
    private long _flushes;

    /// <summary>Group commits that appended leaves, and the time they spent doing it (benchmarks print it).</summary>
    internal (long Flushes, TimeSpan Spent) LeafFlushes => (Interlocked.Read(ref _flushes), System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _flushTicks)));

    /// <summary>
    /// The writer's statements for appending, prepared once and executed again with new values
    /// (measured: preparing them at every group commit cost 55 µs per commit of one certificate).
    /// </summary>
    private sealed class AppendCommands(DbConnection connection, bool forUpdate) : IDisposable
    {
        public DbCommand HeadRead { get; } = Command(connection, HeadSql + (forUpdate ? " FOR UPDATE;" : ";"));

        public DbCommand HeadUpdate { get; } = Command(connection, "UPDATE log_head SET size = @size, root = @root WHERE id = 1;", "@size", "@root");

        public DbCommand Entry { get; } = Command(connection, "INSERT INTO log_entries (idx, kind, ref, entry, hash) VALUES (@idx, @kind, @ref, @entry, @hash);", "@idx", "@kind", "@ref", "@entry", "@hash");

        public DbCommand Node { get; } = Command(connection, "INSERT INTO log_nodes (level, idx, hash) VALUES (@level, @idx, @hash);", "@level", "@idx", "@hash");

        private static DbCommand Command(DbConnection connection, string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.AddParameter(name, DBNull.Value);
            }

            return command;
        }

        /// <summary>Runs <paramref name="command"/> in <paramref name="transaction"/> with these values, in parameter order.</summary>
        public static int Execute(DbCommand command, DbTransaction transaction, params object[] values)
        {
            command.Transaction = transaction;
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i];
            }

            return command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            HeadRead.Dispose();
            HeadUpdate.Dispose();
            Entry.Dispose();
            Node.Dispose();
        }
    }

    private AppendCommands? _appendCommands;

    /// <summary>The head row's query, without its end (the writer adds FOR UPDATE on PostgreSQL).</summary>
    private const string HeadSql = "SELECT size, root FROM log_head WHERE id = 1";

    private void FlushPending(DbTransaction transaction)
    {
        var commands = _appendCommands ??= new AppendCommands(_connection, forUpdate: _dialect == SqlDialect.Postgres);
        commands.HeadRead.Transaction = transaction;
        var head = ReadHead(commands.HeadRead);

        if (head.Size != _range.Size || !head.Root.AsSpan().SequenceEqual(_rangeRoot))
        {
            _range = LoadRange(_connection, transaction, head);
            _rangeRoot = head.Root;
        }

        // The copy becomes the writer's only once every row is in.
        var range = new CompactRange(_range.Size, _range.Roots);
        foreach (var leaf in _pendingLeaves)
        {
            var leafHash = MerkleTree.LeafHash(leaf.Entry);
            AppendCommands.Execute(commands.Entry, transaction, range.Size, leaf.Kind, leaf.Reference, leaf.Entry, leafHash);
            foreach (var (level, index, hash) in range.Append(leafHash))
            {
                // Only the levels tiles are made of are kept (8, 16, …; level 0 is the leaf's own
                // row): one subtree row per 256 leaves, every other hash computed from at most 128.
                if (level > 0 && level % TileHeight == 0)
                {
                    AppendCommands.Execute(commands.Node, transaction, level, index, hash);
                }
            }
        }

        var root = range.Root();
        AppendCommands.Execute(commands.HeadUpdate, transaction, range.Size, root);
        _pendingLeaves.Clear();
        _range = range;
        _rangeRoot = root;
    }

    /// <summary>The head row, read with <paramref name="read"/> (the writer's prepared one, <c>FOR UPDATE</c> on PostgreSQL, or a plain one).</summary>
    private static LogHead ReadHead(DbCommand read)
    {
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
}
