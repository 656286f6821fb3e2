using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The SQLite audit database: its schema versions (in <c>PRAGMA user_version</c>) and how it opens.</summary>
internal sealed partial class SqlAuditStore
{
    /// <summary>The SQLite schema version that creates the issuance log (8).</summary>
    private const int LogMigration = 8;

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
        CaKeyStatesTable,
        SecurityKeysTable,
        LogTables(sqlite: true),
    ];

    /// <summary>Opens (creating and migrating) the database at <paramref name="path"/>.</summary>
    public static SqlAuditStore OpenSqlite(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var backfill = false;
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            backfill = version > 0 && version < Migrations.Length && version < LogMigration;
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

        EnsureLogHead(connection);

        // One writer per database: a row still pending now was left by an earlier process that
        // stopped (kill -9, power loss) between the reservation and the outcome. Its certificate,
        // if the device signed it at all, was never returned (the reply waits for the commit).
        int interrupted;
        using (var resolve = connection.CreateCommand())
        {
            resolve.CommandText = "UPDATE certificates SET outcome = 'failed', failure = @why WHERE outcome = 'pending';";
            resolve.AddParameter("@why", InterruptedFailure);
            interrupted = resolve.ExecuteNonQuery();
        }

        // Serials continue after the last process's reserved block (or after the last record).
        Execute(connection, "UPDATE serial_reservations SET next = MAX(next, (SELECT COALESCE(MAX(serial), 0) + 1 FROM certificates)) WHERE id = 1;");

        var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        reader.Open();
        var store = new SqlAuditStore(connection, reader, SqlDialect.Sqlite) { InterruptedAtOpen = interrupted };
        if (backfill)
        {
            store.BackfillLogAsync().GetAwaiter().GetResult();
        }

        return store;
    }

}
