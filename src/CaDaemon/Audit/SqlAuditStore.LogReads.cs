using System.Data.Common;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The issuance log read back: stored hashes (levels 0, 8, 16, …) and every other hash computed
/// from them, proofs, leaves, tiles' hashes and the signed checkpoints.
/// </summary>
internal sealed partial class SqlAuditStore
{
    /// <summary>The height of a tile (C2SP tlog-tiles): subtree hashes are stored at levels 0, 8, 16, ….</summary>
    private const int TileHeight = 8;

    /// <summary>
    /// The hash of the complete subtree at (<paramref name="level"/>, <paramref name="index"/>): read
    /// when the level is a stored one, otherwise computed from the at most 128 hashes of the stored
    /// level below it.
    /// </summary>
    private static byte[] ReadNode(DbConnection connection, DbTransaction? transaction, int level, long index)
    {
        var stored = level / TileHeight * TileHeight;
        var width = 1L << (level - stored);
        var hashes = ReadStored(connection, transaction, stored, index * width, (int)width);
        if (hashes.Count != width)
        {
            throw new InvalidOperationException($"the issuance log has no stored hash at level {stored} index {index * width + hashes.Count}: the log was changed outside the daemon");
        }

        while (hashes.Count > 1)
        {
            var up = new List<byte[]>(hashes.Count / 2);
            for (var i = 0; i < hashes.Count; i += 2)
            {
                up.Add(MerkleTree.NodeHash(hashes[i], hashes[i + 1]));
            }

            hashes = up;
        }

        return hashes[0];
    }

    /// <summary>Stored hashes of level <paramref name="level"/> (0: the leaves' rows; 8, 16, …: subtree rows) from <paramref name="start"/>, in order.</summary>
    private static List<byte[]> ReadStored(DbConnection connection, DbTransaction? transaction, int level, long start, int count)
    {
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = level == 0
            ? "SELECT hash FROM log_entries WHERE idx >= @start AND idx < @end ORDER BY idx;"
            : "SELECT hash FROM log_nodes WHERE level = @level AND idx >= @start AND idx < @end ORDER BY idx;";
        read.AddParameter("@level", level);
        read.AddParameter("@start", start);
        read.AddParameter("@end", start + count);
        using var rows = read.ExecuteReader();
        var hashes = new List<byte[]>(count);
        while (rows.Read())
        {
            hashes.Add(rows.GetValue(0) is byte[] { Length: MerkleTree.HashLength } hash
                ? hash
                : throw new InvalidOperationException($"the issuance log's stored hash at level {level} index {start + hashes.Count} is not 32 bytes: the log was changed outside the daemon"));
        }

        return hashes;
    }

    /// <inheritdoc />
    public Task<LogHead> LogHeadAsync(CancellationToken cancellationToken) => ReadAsync(reader =>
    {
        using var read = reader.CreateCommand();
        read.CommandText = HeadSql + ";";
        return ReadHead(read);
    }, cancellationToken);

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
        ReadAsync<IReadOnlyList<byte[]>>(reader => level % TileHeight == 0
            ? ReadStored(reader, null, level, start, Math.Clamp(count, 1, 256))
            : throw new ArgumentOutOfRangeException(nameof(level), "hashes are stored at levels 0, 8, 16, …"), cancellationToken);

    private static List<LogEntryRef> ReadEntries(DbConnection reader, string sql, IEnumerable<(string Name, object Value)> parameters) =>
        Rows(reader, sql, parameters, rows => new LogEntryRef(rows.GetInt64(0), rows.GetString(1), rows.GetInt64(2), (byte[])rows.GetValue(3)));

    /// <summary>Every row of <paramref name="sql"/> with these parameters, each made by <paramref name="row"/>.</summary>
    private static List<T> Rows<T>(DbConnection reader, string sql, IEnumerable<(string Name, object Value)> parameters, Func<DbDataReader, T> row)
    {
        using var read = reader.CreateCommand();
        read.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            read.AddParameter(name, value);
        }

        using var rows = read.ExecuteReader();
        var found = new List<T>();
        while (rows.Read())
        {
            found.Add(row(rows));
        }

        return found;
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
        ReadAsync<IReadOnlyList<ulong>>(reader => Rows(reader,
            "SELECT serial FROM certificates WHERE outcome = 'issued' AND NOT EXISTS (SELECT 1 FROM log_entries WHERE kind = 'certificate' AND ref = certificates.serial) ORDER BY serial LIMIT @limit;",
            [("@limit", Math.Clamp(limit, 1, 10_000))], rows => (ulong)rows.GetInt64(0)), cancellationToken);

    private static List<StoredCheckpoint> ReadCheckpoints(DbConnection reader, string sql, IEnumerable<(string Name, object Value)> parameters) =>
        Rows(reader, sql, parameters, rows => new StoredCheckpoint(rows.GetInt64(0), rows.GetString(1), (byte[])rows.GetValue(2), rows.GetString(3), rows.GetString(4), (ulong)rows.GetInt64(5)));

    /// <summary>Runs <paramref name="read"/> on the reader connection, one read at a time.</summary>
    private Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken) => ReadAsync(() => read(Reader), cancellationToken);
}
