using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The audit log in SQLite: WAL with <c>synchronous=FULL</c>, so a commit survives power loss
/// before the reply leaves. One connection, one writer at a time; schema versions in
/// <c>PRAGMA user_version</c>, applied in order at open.
/// </summary>
internal sealed partial class SqliteAuditStore : IAuditStore, IDisposable
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE certificates (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL,
            key_id TEXT NOT NULL,
            principals TEXT NOT NULL,
            valid_after TEXT NOT NULL,
            valid_before TEXT NOT NULL,
            critical_options TEXT NOT NULL,
            extensions TEXT NOT NULL,
            subject_key_fingerprint TEXT NOT NULL,
            ca_key_fingerprint TEXT NOT NULL,
            caller TEXT NOT NULL,
            auth_method TEXT NOT NULL,
            source_address TEXT NOT NULL,
            request_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'issued', 'failed')),
            failure TEXT,
            certificate TEXT
        );
        CREATE TABLE certificate_principals (
            serial INTEGER NOT NULL REFERENCES certificates(serial),
            principal TEXT NOT NULL
        );
        CREATE INDEX certificate_principals_by_principal ON certificate_principals(principal, serial);
        CREATE INDEX certificates_by_caller ON certificates(caller, serial);
        """,
        """
        CREATE TABLE bootstrap_tokens (
            id TEXT PRIMARY KEY,
            secret_sha256 BLOB NOT NULL,
            host_names TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            used_from TEXT
        );
        CREATE TABLE auth_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time INTEGER NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            caller TEXT NOT NULL,
            source_address TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE revocations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at INTEGER NOT NULL,
            caller TEXT NOT NULL,
            auth_method TEXT NOT NULL,
            source_address TEXT NOT NULL,
            reason TEXT NOT NULL,
            selector TEXT NOT NULL,
            krl_version INTEGER NOT NULL
        );
        CREATE TABLE revoked_items (
            revocation_id INTEGER NOT NULL REFERENCES revocations(id),
            kind TEXT NOT NULL CHECK (kind IN ('serial', 'key', 'key-sha256', 'ca-key')),
            ca TEXT CHECK (ca IN ('user', 'host')),
            serial_lo INTEGER,
            serial_hi INTEGER,
            value TEXT NOT NULL,
            fingerprint TEXT NOT NULL
        );
        CREATE INDEX revoked_items_by_serial ON revoked_items(ca, serial_lo);
        CREATE INDEX revoked_items_by_fingerprint ON revoked_items(fingerprint);
        CREATE TABLE krl_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            changed_at INTEGER NOT NULL
        );
        INSERT INTO krl_state (id, version, changed_at) VALUES (1, 0, 0);
        CREATE INDEX certificates_by_key_id ON certificates(key_id, serial);
        """,
        """
        CREATE TABLE serial_reservations (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            next INTEGER NOT NULL
        );
        INSERT INTO serial_reservations (id, next) VALUES (1, (SELECT COALESCE(MAX(serial), 0) + 1 FROM certificates));
        """,
        """
        CREATE TABLE ca_keys (
            fingerprint TEXT PRIMARY KEY,
            ca TEXT NOT NULL CHECK (ca IN ('user', 'host')),
            name TEXT NOT NULL,
            public_key TEXT NOT NULL,
            first_seen INTEGER NOT NULL
        );
        CREATE TABLE trust_sets (
            version INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE trust_fetches (
            party TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX certificates_by_ca_key ON certificates(ca_key_fingerprint, outcome);
        """,
    ];

    /// <summary>Serials reserved per durable write: one write per this many certificates.</summary>
    private const ulong SerialBlock = 4096;

    private const int MaxBatch = 256;
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly Lock _serials = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, AuditRecord> _intents = new();
    private ulong _nextSerial;
    private ulong _serialLimit;
    private Task? _extending;

    private SqliteAuditStore(SqliteConnection connection, SqliteConnection reader)
    {
        _connection = connection;
        _reader = reader;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A write waiting for the next group commit.</summary>
    private sealed record Write(Func<SqliteTransaction, ulong> Apply, TaskCompletionSource<ulong> Done);

    /// <summary>Opens (creating and migrating) the database at <paramref name="path"/>.</summary>
    public static SqliteAuditStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (version > Migrations.Length)
            {
                throw new InvalidOperationException($"audit database {path} has schema version {version}, newer than this daemon knows ({Migrations.Length})");
            }

            for (var v = version; v < Migrations.Length; v++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, Migrations[v], transaction);
                Execute(connection, $"PRAGMA user_version = {v + 1};", transaction);
                transaction.Commit();
            }
        }

        // One writer per database: a row still pending now was left by an earlier process that
        // stopped (kill -9, power loss) between the reservation and the outcome. Its certificate,
        // if the device signed it at all, was never returned (the reply waits for the commit).
        int interrupted;
        using (var resolve = connection.CreateCommand())
        {
            resolve.CommandText = "UPDATE certificates SET outcome = 'failed', failure = $why WHERE outcome = 'pending';";
            resolve.Parameters.AddWithValue("$why", InterruptedFailure);
            interrupted = resolve.ExecuteNonQuery();
        }

        // Serials start where the last process's reserved block ended (or after the last record).
        ulong next;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT MAX(next, (SELECT COALESCE(MAX(serial), 0) + 1 FROM certificates)) FROM serial_reservations WHERE id = 1;";
            next = (ulong)(long)read.ExecuteScalar()!;
        }

        var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        reader.Open();
        var store = new SqliteAuditStore(connection, reader) { InterruptedAtOpen = interrupted };
        store._nextSerial = next;
        store._serialLimit = next;
        return store;
    }

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
        var batch = new List<Write>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            var results = new (ulong Value, Exception? Error)[batch.Count];
            try
            {
                using var transaction = _connection.BeginTransaction();
                for (var i = 0; i < batch.Count; i++)
                {
                    Execute(_connection, "SAVEPOINT w;", transaction);
                    try
                    {
                        results[i] = (batch[i].Apply(transaction), null);
                        Execute(_connection, "RELEASE w;", transaction);
                    }
                    catch (Exception e) when (e is SqliteException or InvalidOperationException)
                    {
                        Execute(_connection, "ROLLBACK TO w; RELEASE w;", transaction);
                        results[i] = (0, e);
                    }
                }

                transaction.Commit();
            }
            catch (SqliteException e)
            {
                foreach (var write in batch)
                {
                    write.Done.TrySetException(e);
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

    private Task<ulong> EnqueueAsync(Func<SqliteTransaction, ulong> apply, CancellationToken cancellationToken)
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

        var records = await QueryAsync("SELECT * FROM certificates WHERE serial = $serial;", [("$serial", (long)serial)], cancellationToken).ConfigureAwait(false);
        return records.Count == 0 ? null : records[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditRecord>> ListAsync(string? principal, string? caller, ulong? beforeSerial, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)> { ("$limit", Math.Clamp(limit, 1, 1000)) };
        if (!string.IsNullOrEmpty(principal))
        {
            where.Add("serial IN (SELECT serial FROM certificate_principals WHERE principal = $principal)");
            parameters.Add(("$principal", principal));
        }

        if (!string.IsNullOrEmpty(caller))
        {
            where.Add("caller = $caller");
            parameters.Add(("$caller", caller));
        }

        if (beforeSerial is { } before)
        {
            where.Add("serial < $before");
            parameters.Add(("$before", (long)before));
        }

        var sql = "SELECT * FROM certificates" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) + " ORDER BY serial DESC LIMIT $limit;";
        return QueryAsync(sql, parameters, cancellationToken);
    }

    private async Task<IReadOnlyList<AuditRecord>> QueryAsync(string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _reader.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            using var reader = command.ExecuteReader();
            var records = new List<AuditRecord>();
            while (reader.Read())
            {
                records.Add(new AuditRecord
                {
                    Serial = (ulong)reader.GetInt64(reader.GetOrdinal("serial")),
                    Type = AuditNames.ParseType(reader.GetString(reader.GetOrdinal("type"))),
                    KeyId = reader.GetString(reader.GetOrdinal("key_id")),
                    Principals = JsonSerializer.Deserialize<string[]>(reader.GetString(reader.GetOrdinal("principals"))) ?? [],
                    ValidAfter = ulong.Parse(reader.GetString(reader.GetOrdinal("valid_after")), CultureInfo.InvariantCulture),
                    ValidBefore = ulong.Parse(reader.GetString(reader.GetOrdinal("valid_before")), CultureInfo.InvariantCulture),
                    CriticalOptions = JsonSerializer.Deserialize<string[]>(reader.GetString(reader.GetOrdinal("critical_options"))) ?? [],
                    Extensions = JsonSerializer.Deserialize<string[]>(reader.GetString(reader.GetOrdinal("extensions"))) ?? [],
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

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
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
        _connection.Dispose();
        _lock.Dispose();
    }
}
