using System.Globalization;
using System.Text.Json;
using SshHsmCa.Ssh.Certificates;
using System.Threading.Channels;
using System.Data.Common;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The audit log in SQL: SQLite for one appliance (WAL with <c>synchronous=FULL</c>, so a commit
/// survives power loss before the reply leaves) or PostgreSQL shared by several (issue 18; a
/// commit is as durable as the server's <c>synchronous_commit</c> makes it). One writer
/// connection per process with group commit, one reader; the SQL is the same for both engines
/// but for a few words of <see cref="SqlDialect"/>; schemas are migrated in order at open.
/// </summary>
internal sealed partial class SqlAuditStore : IAuditStore, IDisposable
{
    /// <summary>Serials reserved per durable write: one write per this many certificates.</summary>
    private const ulong SerialBlock = 4096;

    private long _commits;
    private long _committedWrites;
    private readonly DbConnection _connection;
    private readonly DbConnection _reader;
    private readonly SqlDialect _dialect;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly Lock _serials = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, AuditRecord> _intents = new();
    private ulong _nextSerial;
    private ulong _serialLimit;
    private Task? _extending;

    private SqlAuditStore(DbConnection connection, DbConnection reader, SqlDialect dialect)
    {
        _connection = connection;
        _reader = reader;
        _dialect = dialect;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A write waiting for the next group commit.</summary>
    private sealed record Write(Func<DbTransaction, ulong> Apply, TaskCompletionSource<ulong> Done);

    /// <summary>The failure recorded for attempts an earlier process left pending.</summary>
    public const string InterruptedFailure = "interrupted: the daemon stopped before the attempt finished; no certificate was returned";

    /// <summary>How many pending attempts of an earlier process were resolved as failed when the store opened.</summary>
    public int InterruptedAtOpen { get; private init; }

    /// <summary>
    /// Group commit: every write waiting when the previous transaction ends goes into the next
    /// one, each inside its own savepoint (a failing write rolls back alone), and one fsync
    /// (synchronous=FULL) makes all of them durable before any caller is answered. Measured: one
    /// transaction per write spent half of an issuance on fsync.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<Write>(_dialect.MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _dialect.MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            var results = new (ulong Value, Exception? Error)[batch.Count];
            _pendingLeaves.Clear();
            try
            {
                EnsureOpen(_connection);
                using var transaction = _connection.BeginTransaction();
                for (var i = 0; i < batch.Count; i++)
                {
                    _currentWrite = i;
                    Execute(_connection, "SAVEPOINT w;", transaction);
                    try
                    {
                        results[i] = (batch[i].Apply(transaction), null);
                        Execute(_connection, "RELEASE w;", transaction);
                    }
                    catch (Exception e) when (e is DbException or InvalidOperationException && transaction.Connection is not null)
                    {
                        // This write alone failed: the others stay, its leaves go with it. (A transaction
                        // the server ended, the connection broken under it, has no connection left: the batch fails.)
                        Execute(_connection, "ROLLBACK TO w; RELEASE w;", transaction);
                        _pendingLeaves.RemoveAll(l => l.Write == i);
                        results[i] = (0, e);
                    }
                }

                try
                {
                    // The issuance log takes the leaves of the writes that stand, in this transaction.
                    FlushLeaves(transaction);
                }
                catch (InvalidOperationException e) when (transaction.Connection is not null)
                {
                    // The stored tree was changed outside the daemon: nothing of this batch is committed.
                    transaction.Rollback();
                    foreach (var write in batch)
                    {
                        write.Done.TrySetException(e);
                    }

                    continue;
                }

                transaction.Commit();
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _committedWrites, batch.Count);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                // The connection broke (a failover): these writes fail, the next batch reconnects.
                // Callers see the store unavailable whatever the driver threw ("Transaction is already
                // completed" after a broken connection is an InvalidOperationException in Npgsql).
                var failure = e as DbException ?? new AuditStoreConnectionException(e);
                foreach (var write in batch)
                {
                    write.Done.TrySetException(failure);
                }

                continue;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (results[i].Error is { } error)
                {
                    batch[i].Done.TrySetException(error);
                }
                else
                {
                    batch[i].Done.TrySetResult(results[i].Value);
                }
            }
        }
    }

    private Task<ulong> EnqueueAsync(Func<DbTransaction, ulong> apply, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(new Write(apply, done)), this);

        // Not cancellable once queued: a reservation or outcome is either durable or failed.
        return done.Task;
    }

    /// <inheritdoc />
    public async Task<AuditRecord?> GetAsync(ulong serial, CancellationToken cancellationToken)
    {
        if (_intents.TryGetValue(serial, out var pending))
        {
            return pending;
        }

        var records = await QueryAsync("SELECT * FROM certificates WHERE serial = @serial;", [("@serial", (long)serial)], cancellationToken).ConfigureAwait(false);
        return records.Count == 0 ? null : records[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditRecord>> ListAsync(string? principal, string? caller, ulong? beforeSerial, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)> { ("@limit", Math.Clamp(limit, 1, 1000)) };
        if (!string.IsNullOrEmpty(principal))
        {
            where.Add("serial IN (SELECT serial FROM certificate_principals WHERE principal = @principal)");
            parameters.Add(("@principal", principal));
        }

        if (!string.IsNullOrEmpty(caller))
        {
            where.Add("caller = @caller");
            parameters.Add(("@caller", caller));
        }

        if (beforeSerial is { } before)
        {
            where.Add("serial < @before");
            parameters.Add(("@before", (long)before));
        }

        var sql = "SELECT * FROM certificates" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) + " ORDER BY serial DESC LIMIT @limit;";
        return QueryAsync(sql, parameters, cancellationToken);
    }

    private async Task<IReadOnlyList<AuditRecord>> QueryAsync(string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Reader.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.AddParameter(name, value);
            }

            using var reader = command.ExecuteReader();
            var records = new List<AuditRecord>();
            while (reader.Read())
            {
                records.Add(new AuditRecord
                {
                    Serial = (ulong)reader.GetInt64(reader.GetOrdinal("serial")),
                    Fields = new SshCertificateFields
                    {
                        Type = AuditNames.ParseType(reader.GetString(reader.GetOrdinal("type"))),
                        KeyId = reader.GetString(reader.GetOrdinal("key_id")),
                        Principals = JsonSerializer.Deserialize<string[]>(reader.GetString(reader.GetOrdinal("principals"))) ?? [],
                        ValidAfter = ulong.Parse(reader.GetString(reader.GetOrdinal("valid_after")), CultureInfo.InvariantCulture),
                        ValidBefore = ulong.Parse(reader.GetString(reader.GetOrdinal("valid_before")), CultureInfo.InvariantCulture),
                        CriticalOptions = StoredOptions.Decode(reader.GetString(reader.GetOrdinal("critical_options")), SshOptionKind.Critical, "critical_options"),
                        Extensions = StoredOptions.Decode(reader.GetString(reader.GetOrdinal("extensions")), SshOptionKind.Extension, "extensions"),
                    },
                    SubjectKeyFingerprint = reader.GetString(reader.GetOrdinal("subject_key_fingerprint")),
                    CaKeyFingerprint = reader.GetString(reader.GetOrdinal("ca_key_fingerprint")),
                    Caller = reader.GetString(reader.GetOrdinal("caller")),
                    AuthMethod = AuditNames.ParseAuthMethod(reader.GetString(reader.GetOrdinal("auth_method"))),
                    SourceAddress = reader.GetString(reader.GetOrdinal("source_address")),
                    RequestId = reader.GetString(reader.GetOrdinal("request_id")),
                    CreatedAt = (ulong)reader.GetInt64(reader.GetOrdinal("created_at")),
                    Outcome = AuditNames.ParseOutcome(reader.GetString(reader.GetOrdinal("outcome"))),
                    Failure = reader.IsDBNull(reader.GetOrdinal("failure")) ? null : reader.GetString(reader.GetOrdinal("failure")),
                    Certificate = reader.IsDBNull(reader.GetOrdinal("certificate")) ? null : reader.GetString(reader.GetOrdinal("certificate")),
                });
            }

            return records;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Transactions committed by this process's writer (group commits).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes those transactions carried (a certificate's record is one).</summary>
    public long CommittedWrites => Interlocked.Read(ref _committedWrites);

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT 1;";
            command.ExecuteScalar();
            return true;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
        {
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The reader connection, opened again if it broke (a PostgreSQL failover ends every connection).</summary>
    private DbConnection Reader
    {
        get
        {
            EnsureOpen(_reader);
            return _reader;
        }
    }

    /// <summary>Opens a connection that is closed or broken; a failure surfaces as the caller's (the store is unavailable).</summary>
    private static void EnsureOpen(DbConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            return;
        }

        connection.Close();
        connection.Open();
    }

    /// <summary>A read transaction on the reader that sees one state of the database (SQLite: deferred; PostgreSQL: a repeatable-read snapshot).</summary>
    private DbTransaction BeginSnapshot() => Reader is Microsoft.Data.Sqlite.SqliteConnection sqlite
        ? sqlite.BeginTransaction(deferred: true)
        : Reader.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);

    private static void Execute(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Pending writes are finished first: nothing acknowledged is lost.
        _writes.Writer.TryComplete();
        _writer.GetAwaiter().GetResult();
        _reader.Dispose();
        _appendCommands?.Dispose();
        _connection.Dispose();
        _lock.Dispose();
    }
}
