using System.Globalization;
using Npgsql;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The audit store on PostgreSQL, shared by several appliances (issue 18): the same tables as
/// SQLite's schema version 5, created or migrated at open under an advisory lock (appliances
/// that start together migrate once), schema versions in <c>schema_version</c>.
/// </summary>
internal sealed partial class SqlAuditStore
{
    /// <summary>The advisory lock every appliance takes to migrate ("SSHCA" as a number).</summary>
    private const long MigrationLock = 0x5353484341;

    private static readonly string[] PostgresMigrations =
    [
        """
        CREATE TABLE certificates (
            serial BIGINT PRIMARY KEY,
            type TEXT NOT NULL,
            key_id TEXT NOT NULL,
            principals TEXT NOT NULL,
            valid_after TEXT COLLATE "C" NOT NULL,
            valid_before TEXT COLLATE "C" NOT NULL,
            critical_options TEXT NOT NULL,
            extensions TEXT NOT NULL,
            subject_key_fingerprint TEXT NOT NULL,
            ca_key_fingerprint TEXT NOT NULL,
            caller TEXT NOT NULL,
            auth_method TEXT NOT NULL,
            source_address TEXT NOT NULL,
            request_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'issued', 'failed')),
            failure TEXT,
            certificate TEXT
        );
        CREATE TABLE certificate_principals (
            serial BIGINT NOT NULL REFERENCES certificates(serial),
            principal TEXT NOT NULL
        );
        CREATE INDEX certificate_principals_by_principal ON certificate_principals(principal, serial);
        CREATE INDEX certificates_by_caller ON certificates(caller, serial);
        CREATE INDEX certificates_by_key_id ON certificates(key_id, serial);
        CREATE INDEX certificates_by_ca_key ON certificates(ca_key_fingerprint, outcome);
        CREATE TABLE bootstrap_tokens (
            id TEXT PRIMARY KEY,
            secret_sha256 BYTEA NOT NULL,
            host_names TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT,
            used_from TEXT
        );
        CREATE TABLE auth_events (
            id BIGSERIAL PRIMARY KEY,
            time BIGINT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            caller TEXT NOT NULL,
            source_address TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE TABLE revocations (
            id BIGSERIAL PRIMARY KEY,
            created_at BIGINT NOT NULL,
            caller TEXT NOT NULL,
            auth_method TEXT NOT NULL,
            source_address TEXT NOT NULL,
            reason TEXT NOT NULL,
            selector TEXT NOT NULL,
            krl_version BIGINT NOT NULL
        );
        CREATE TABLE revoked_items (
            rowid BIGSERIAL PRIMARY KEY,
            revocation_id BIGINT NOT NULL REFERENCES revocations(id),
            kind TEXT NOT NULL CHECK (kind IN ('serial', 'key', 'key-sha256', 'ca-key')),
            ca TEXT CHECK (ca IN ('user', 'host')),
            serial_lo BIGINT,
            serial_hi BIGINT,
            value TEXT NOT NULL,
            fingerprint TEXT NOT NULL
        );
        CREATE INDEX revoked_items_by_serial ON revoked_items(ca, serial_lo);
        CREATE INDEX revoked_items_by_fingerprint ON revoked_items(fingerprint);
        CREATE TABLE krl_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version BIGINT NOT NULL,
            changed_at BIGINT NOT NULL
        );
        INSERT INTO krl_state (id, version, changed_at) VALUES (1, 0, 0);
        CREATE TABLE serial_reservations (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            next BIGINT NOT NULL
        );
        INSERT INTO serial_reservations (id, next) VALUES (1, 1);
        CREATE TABLE ca_keys (
            fingerprint TEXT PRIMARY KEY,
            ca TEXT NOT NULL CHECK (ca IN ('user', 'host')),
            name TEXT NOT NULL,
            public_key TEXT NOT NULL,
            first_seen BIGINT NOT NULL
        );
        CREATE TABLE trust_sets (
            version BIGINT PRIMARY KEY,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE trust_fetches (
            party TEXT PRIMARY KEY,
            version BIGINT NOT NULL,
            at BIGINT NOT NULL
        );
        """,
        CaKeyStatesTable,
        SecurityKeysTable,
        LogTables(sqlite: false),
    ];

    /// <summary>The PostgreSQL schema version that creates the issuance log (4).</summary>
    private const int PostgresLogMigration = 4;

    /// <summary>
    /// Opens the store on PostgreSQL: <paramref name="connectionString"/> (hosts, database, user;
    /// several hosts with <c>Target Session Attributes=primary</c> follow a failover) with
    /// <paramref name="password"/> from a credential, never from the configuration.
    /// </summary>
    public static SqlAuditStore OpenPostgres(string connectionString, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = password, Enlist = false };
        var writer = new NpgsqlConnection(builder.ConnectionString);
        NpgsqlConnection? reader = null;
        var backfill = false;
        try
        {
            writer.Open();
            using (var transaction = writer.BeginTransaction())
            {
                Execute(writer, string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({MigrationLock});"), transaction);
                Execute(writer, "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL); INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;", transaction);
                using var read = writer.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = "SELECT version FROM schema_version WHERE id = 1;";
                var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
                if (version > PostgresMigrations.Length)
                {
                    throw new InvalidOperationException($"the audit database has schema version {version}, newer than this daemon knows ({PostgresMigrations.Length})");
                }

                backfill = version > 0 && version < PostgresLogMigration && PostgresMigrations.Length >= PostgresLogMigration;
                for (var v = version; v < PostgresMigrations.Length; v++)
                {
                    Execute(writer, PostgresMigrations[v], transaction);
                    Execute(writer, string.Create(CultureInfo.InvariantCulture, $"UPDATE schema_version SET version = {v + 1} WHERE id = 1;"), transaction);
                }

                transaction.Commit();
            }

            EnsureLogHead(writer);
            reader = new NpgsqlConnection(builder.ConnectionString);
            reader.Open();
            var store = new SqlAuditStore(writer, reader, SqlDialect.Postgres);
            if (backfill)
            {
                store.BackfillLogAsync().GetAwaiter().GetResult();
            }

            return store;
        }
        catch
        {
            reader?.Dispose();
            writer.Dispose();
            throw;
        }
    }
}
