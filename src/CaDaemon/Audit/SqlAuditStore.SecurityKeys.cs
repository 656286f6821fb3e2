using System.Data.Common;
using System.Globalization;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Enrolled security keys (issue 29): one row per key, written once.</summary>
internal sealed partial class SqlAuditStore : ISecurityKeyStore
{
    /// <summary>The same text on SQLite and PostgreSQL (SchemaTests keeps the two schemas alike).</summary>
    private const string SecurityKeysTable = """
        CREATE TABLE security_keys (
            fingerprint TEXT PRIMARY KEY,
            caller TEXT NOT NULL,
            public_key TEXT NOT NULL,
            aaguid TEXT NOT NULL,
            user_verified BOOLEAN NOT NULL,
            backup BOOLEAN NOT NULL,
            format TEXT NOT NULL,
            certificate_subject TEXT NOT NULL,
            certificate_serial TEXT NOT NULL,
            root_subject TEXT NOT NULL,
            enrolled_at BIGINT NOT NULL
        );
        CREATE INDEX security_keys_by_caller ON security_keys(caller, enrolled_at);
        """;

    private const string SecurityKeyColumns = "fingerprint, caller, public_key, aaguid, user_verified, backup, format, certificate_subject, certificate_serial, root_subject, enrolled_at";

    /// <inheritdoc />
    public async Task<bool> EnrollSecurityKeyAsync(SecurityKeyRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return await EnqueueAsync(transaction =>
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO security_keys ({SecurityKeyColumns}) VALUES (@f, @caller, @key, @aaguid, @uv, @backup, @format, @subject, @serial, @root, @at) ON CONFLICT (fingerprint) DO NOTHING;";
            insert.AddParameter("@f", record.Fingerprint);
            insert.AddParameter("@caller", record.Caller);
            insert.AddParameter("@key", record.PublicKey);
            insert.AddParameter("@aaguid", record.Aaguid.ToString("D"));
            insert.AddParameter("@uv", record.UserVerified);
            insert.AddParameter("@backup", record.Backup);
            insert.AddParameter("@format", record.Format);
            insert.AddParameter("@subject", record.CertificateSubject);
            insert.AddParameter("@serial", record.CertificateSerial);
            insert.AddParameter("@root", record.RootSubject);
            insert.AddParameter("@at", (long)record.EnrolledAt);
            return (ulong)insert.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public Task<SecurityKeyRecord?> FindSecurityKeyAsync(string fingerprint, CancellationToken cancellationToken) =>
        ReadAsync(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = $"SELECT {SecurityKeyColumns} FROM security_keys WHERE fingerprint = @f;";
            command.AddParameter("@f", fingerprint);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSecurityKey(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<SecurityKeyRecord>> ListSecurityKeysAsync(string? caller, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<SecurityKeyRecord>>(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"SELECT {SecurityKeyColumns} FROM security_keys {(caller is null ? "" : "WHERE caller = @caller ")}ORDER BY enrolled_at DESC, fingerprint LIMIT {limit};");
            if (caller is not null)
            {
                command.AddParameter("@caller", caller);
            }

            using var reader = command.ExecuteReader();
            var records = new List<SecurityKeyRecord>();
            while (reader.Read())
            {
                records.Add(ReadSecurityKey(reader));
            }

            return records;
        }, cancellationToken);

    private static SecurityKeyRecord ReadSecurityKey(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), Guid.Parse(reader.GetString(3)), reader.GetBoolean(4), reader.GetBoolean(5),
        reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), (ulong)reader.GetInt64(10));
}
