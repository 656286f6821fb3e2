using System.Data.Common;
using System.Globalization;
using System.Text.Json;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>CA keys seen, trust-set versions and who fetched them (CA key rotation, issue 17).</summary>
internal sealed partial class SqlAuditStore
{
    /// <summary>Every appliance's CA key states: one text for both engines (BIGINT is SQLite's INTEGER).</summary>
    private const string CaKeyStatesTable = """
        CREATE TABLE ca_key_states (
            appliance TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            ca TEXT NOT NULL CHECK (ca IN ('user', 'host')),
            state TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired', 'revoked')),
            public_key TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (appliance, fingerprint)
        );
        """;

    /// <inheritdoc />
    public async Task RememberCaKeysAsync(IReadOnlyList<CaKeyRecord> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await EnqueueAsync(transaction =>
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO ca_keys (fingerprint, ca, name, public_key, first_seen) VALUES (@f, @ca, @name, @key, @now) ON CONFLICT (fingerprint) DO NOTHING;";
            foreach (var key in keys)
            {
                insert.Parameters.Clear();
                insert.AddParameter("@f", key.Fingerprint);
                insert.AddParameter("@ca", AuditNames.Name(key.Ca));
                insert.AddParameter("@name", key.Name);
                insert.AddParameter("@key", key.PublicKey);
                insert.AddParameter("@now", (long)key.FirstSeen);
                insert.ExecuteNonQuery();
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<CaKeyRecord?> FindCaKeyAsync(string fingerprint, CancellationToken cancellationToken) =>
        ReadAsync(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT fingerprint, ca, name, public_key, first_seen FROM ca_keys WHERE fingerprint = @f;";
            command.AddParameter("@f", fingerprint);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new CaKeyRecord(reader.GetString(0), AuditNames.ParseType(reader.GetString(1)), reader.GetString(2), reader.GetString(3), (ulong)reader.GetInt64(4))
                : null;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<TrustSetRecord> PublishTrustSetAsync(string body, ulong now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ulong created = 0;
        var version = await EnqueueAsync(transaction =>
        {
            var first = true;
            using (var latest = _connection.CreateCommand())
            {
                latest.Transaction = transaction;
                latest.CommandText = "SELECT version, body, created_at FROM trust_sets ORDER BY version DESC LIMIT 1;";
                using var reader = latest.ExecuteReader();
                if (reader.Read())
                {
                    first = false;
                    if (string.Equals(reader.GetString(1), body, StringComparison.Ordinal))
                    {
                        created = (ulong)reader.GetInt64(2);
                        return (ulong)reader.GetInt64(0);
                    }
                }
            }

            // A new set of keys changes the KRL too (its serial sections are per CA key): a new KRL
            // version, so that every installed KRL of one version has the same bytes. The first set
            // only describes the keys the KRL was already built with.
            using (var bump = _connection.CreateCommand())
            {
                bump.Transaction = transaction;
                bump.CommandText = first ? "SELECT 0;" : "UPDATE krl_state SET version = version + 1, changed_at = @now WHERE id = 1;";
                bump.AddParameter("@now", (long)now);
                bump.ExecuteNonQuery();
            }

            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO trust_sets (version, body, created_at) VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM trust_sets), @body, @now) RETURNING version;";
            insert.AddParameter("@body", body);
            insert.AddParameter("@now", (long)now);
            created = now;
            return (ulong)(long)insert.ExecuteScalar()!;
        }, cancellationToken).ConfigureAwait(false);
        return new TrustSetRecord(version, body, created);
    }

    /// <inheritdoc />
    public Task<TrustSetRecord?> LatestTrustSetAsync(CancellationToken cancellationToken) =>
        ReadAsync(() => ReadLatestTrustSet(null), cancellationToken);

    /// <summary>The latest trust set on the reader (inside <paramref name="transaction"/> when given), or null.</summary>
    private TrustSetRecord? ReadLatestTrustSet(DbTransaction? transaction)
    {
        using var command = Reader.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, body, created_at FROM trust_sets ORDER BY version DESC LIMIT 1;";
        using var reader = command.ExecuteReader();
        return reader.Read() ? new TrustSetRecord((ulong)reader.GetInt64(0), reader.GetString(1), (ulong)reader.GetInt64(2)) : null;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrustSetRecord>> ListTrustSetsAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TrustSetRecord>>(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT version, body, created_at FROM trust_sets ORDER BY version;";
            using var reader = command.ExecuteReader();
            var sets = new List<TrustSetRecord>();
            while (reader.Read())
            {
                sets.Add(new TrustSetRecord((ulong)reader.GetInt64(0), reader.GetString(1), (ulong)reader.GetInt64(2)));
            }

            return sets;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task RecordTrustFetchAsync(string party, ulong version, ulong now, CancellationToken cancellationToken)
    {
        await EnqueueAsync(transaction =>
        {
            using var upsert = _connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = $"INSERT INTO trust_fetches (party, version, at) VALUES (@party, @version, @now) ON CONFLICT (party) DO UPDATE SET version = {_dialect.Greatest}(trust_fetches.version, excluded.version), at = excluded.at;";
            upsert.AddParameter("@party", party);
            upsert.AddParameter("@version", (long)version);
            upsert.AddParameter("@now", (long)now);
            upsert.ExecuteNonQuery();
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, ulong>> TrustFetchesAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyDictionary<string, ulong>>(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT party, version FROM trust_fetches;";
            using var reader = command.ExecuteReader();
            var fetches = new Dictionary<string, ulong>(StringComparer.Ordinal);
            while (reader.Read())
            {
                fetches[reader.GetString(0)] = (ulong)reader.GetInt64(1);
            }

            return fetches;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ValidCertificate>> ValidCertificatesAsync(ulong now, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ValidCertificate>>(() =>
        {
            // valid_before is decimal text (a ulong does not fit SQLite's integer): longer is
            // larger, and equal lengths compare as text.
            var text = now.ToString(CultureInfo.InvariantCulture);
            using var command = Reader.CreateCommand();
            command.CommandText = """
                SELECT type, ca_key_fingerprint, valid_before, caller, principals FROM certificates
                WHERE outcome = 'issued' AND (length(valid_before) > @length OR (length(valid_before) = @length AND valid_before > @now));
                """;
            command.AddParameter("@length", text.Length);
            command.AddParameter("@now", text);
            using var reader = command.ExecuteReader();
            var valid = new List<ValidCertificate>();
            while (reader.Read())
            {
                var principals = JsonSerializer.Deserialize<string[]>(reader.GetString(4)) ?? [];
                valid.Add(new ValidCertificate(
                    AuditNames.ParseType(reader.GetString(0)),
                    reader.GetString(1),
                    ulong.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                    reader.GetString(3),
                    principals.Length > 0 ? principals[0] : string.Empty));
            }

            return valid;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task PublishKeyStatesAsync(string appliance, IReadOnlyList<CaKeyStateRecord> states, ulong now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(states);
        await EnqueueAsync(transaction =>
        {
            // Each key whose state on this appliance is new or changed gets a leaf in the issuance log.
            var before = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var read = _connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT fingerprint, state FROM ca_key_states WHERE appliance = @appliance;";
                read.AddParameter("@appliance", appliance);
                using var rows = read.ExecuteReader();
                while (rows.Read())
                {
                    before[rows.GetString(0)] = rows.GetString(1);
                }
            }

            foreach (var state in states.Where(s => !before.TryGetValue(s.Fingerprint, out var was) || was != Ssh.Trust.TrustSet.StateName(s.State)))
            {
                Append(transaction, new Ssh.Transparency.LogEntry
                {
                    Kind = Ssh.Transparency.LogEntryKind.CaKeyState,
                    Time = now,
                    Appliance = appliance,
                    Subject = state.Fingerprint,
                    Digest = Ssh.Transparency.LogEntry.BlobDigest(state.PublicKey),
                    Caller = appliance,
                    Detail = $"{AuditNames.Name(state.Ca)} CA {Ssh.Trust.TrustSet.StateName(state.State)}",
                }, "ca-key", 0);
            }

            using (var clear = _connection.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM ca_key_states WHERE appliance = @appliance;";
                clear.AddParameter("@appliance", appliance);
                clear.ExecuteNonQuery();
            }

            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO ca_key_states (appliance, fingerprint, ca, state, public_key, updated_at) VALUES (@appliance, @f, @ca, @state, @key, @now);";
            foreach (var state in states)
            {
                insert.Parameters.Clear();
                insert.AddParameter("@appliance", appliance);
                insert.AddParameter("@f", state.Fingerprint);
                insert.AddParameter("@ca", AuditNames.Name(state.Ca));
                insert.AddParameter("@state", Ssh.Trust.TrustSet.StateName(state.State));
                insert.AddParameter("@key", state.PublicKey);
                insert.AddParameter("@now", (long)now);
                insert.ExecuteNonQuery();
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<CaKeyStateRecord>> KeyStatesAsync(ulong since, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<CaKeyStateRecord>>(() =>
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT appliance, fingerprint, ca, state, public_key FROM ca_key_states WHERE updated_at >= @since ORDER BY appliance, fingerprint;";
            command.AddParameter("@since", (long)since);
            using var reader = command.ExecuteReader();
            var states = new List<CaKeyStateRecord>();
            while (reader.Read())
            {
                states.Add(new CaKeyStateRecord(reader.GetString(0), reader.GetString(1), AuditNames.ParseType(reader.GetString(2)),
                    Ssh.Trust.TrustSet.ParseState(reader.GetString(3)) ?? Ssh.Trust.CaKeyState.Retired, reader.GetString(4)));
            }

            return states;
        }, cancellationToken);

    /// <summary>A read on the reader connection, under the lock.</summary>
    private async Task<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return read();
        }
        finally
        {
            _lock.Release();
        }
    }
}
