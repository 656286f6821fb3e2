using System.Globalization;
using System.Data.Common;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Revocations and the KRL version, written through the same group commit.</summary>
internal sealed partial class SqlAuditStore
{
    private const string ItemColumns = "kind, ca, serial_lo, serial_hi, value, fingerprint";

    /// <inheritdoc />
    public async Task<RevocationRecord> RecordRevocationAsync(RevocationRecord revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        ulong version = 0;
        var id = await EnqueueAsync(transaction =>
        {
            using (var bump = _connection.CreateCommand())
            {
                bump.Transaction = transaction;
                bump.CommandText = "UPDATE krl_state SET version = version + 1, changed_at = @now WHERE id = 1 RETURNING version;";
                bump.AddParameter("@now", (long)revocation.CreatedAt);
                version = (ulong)(long)bump.ExecuteScalar()!;
            }

            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO revocations (created_at, caller, auth_method, source_address, reason, selector, krl_version)
                VALUES (@created, @caller, @method, @source, @reason, @selector, @version) RETURNING id;
                """;
            insert.AddParameter("@created", (long)revocation.CreatedAt);
            insert.AddParameter("@caller", revocation.Caller);
            insert.AddParameter("@method", Policy.AuthMethods.Name(revocation.AuthMethod));
            insert.AddParameter("@source", revocation.SourceAddress);
            insert.AddParameter("@reason", revocation.Reason);
            insert.AddParameter("@selector", revocation.Selector);
            insert.AddParameter("@version", (long)version);
            var id = (ulong)(long)insert.ExecuteScalar()!;
            using var item = _connection.CreateCommand();
            item.Transaction = transaction;
            item.CommandText = $"INSERT INTO revoked_items (revocation_id, {ItemColumns}) VALUES (@id, @kind, @ca, @lo, @hi, @value, @fingerprint);";
            foreach (var entry in revocation.Items)
            {
                item.Parameters.Clear();
                item.AddParameter("@id", (long)id);
                item.AddParameter("@kind", KindName(entry.Kind));
                item.AddParameter("@ca", entry.Ca is { } ca ? AuditNames.Name(ca) : DBNull.Value);
                item.AddParameter("@lo", entry.Kind == RevokedKind.Serial ? (long)entry.SerialLo : DBNull.Value);
                item.AddParameter("@hi", entry.Kind == RevokedKind.Serial ? (long)entry.SerialHi : DBNull.Value);
                item.AddParameter("@value", entry.Value);
                item.AddParameter("@fingerprint", entry.Fingerprint);
                item.ExecuteNonQuery();
            }

            Append(transaction, LogEntries.Revocation(revocation with { Id = id, KrlVersion = version }, Appliance), "revocation", (long)id);
            return id;
        }, cancellationToken).ConfigureAwait(false);
        return revocation with { Id = id, KrlVersion = version };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RevocationRecord>> ListRevocationsAsync(ulong? beforeId, int limit, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return ReadRevocations(
                (beforeId is null ? string.Empty : "WHERE id < @before ") + "ORDER BY id DESC LIMIT @limit",
                [("@limit", Math.Clamp(limit, 1, 1000)), ("@before", (long)(beforeId ?? 0))]);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Revocations (with their entries) chosen by a WHERE/ORDER clause; call under the lock.</summary>
    private List<RevocationRecord> ReadRevocations(string clause, (string Name, object Value)[] parameters)
    {
        using var command = Reader.CreateCommand();
        command.CommandText = $"SELECT * FROM revocations {clause};";
        foreach (var (name, value) in parameters)
        {
            command.AddParameter(name, value);
        }

        var found = new List<RevocationRecord>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                found.Add(new RevocationRecord
                {
                    Id = (ulong)reader.GetInt64(reader.GetOrdinal("id")),
                    CreatedAt = (ulong)reader.GetInt64(reader.GetOrdinal("created_at")),
                    Caller = reader.GetString(reader.GetOrdinal("caller")),
                    AuthMethod = AuditNames.ParseAuthMethod(reader.GetString(reader.GetOrdinal("auth_method"))),
                    SourceAddress = reader.GetString(reader.GetOrdinal("source_address")),
                    Reason = reader.GetString(reader.GetOrdinal("reason")),
                    Selector = reader.GetString(reader.GetOrdinal("selector")),
                    KrlVersion = (ulong)reader.GetInt64(reader.GetOrdinal("krl_version")),
                    Items = [],
                });
            }
        }

        return [.. found.Select(r => r with { Items = ReadItems("WHERE revocation_id = @id", ("@id", (long)r.Id)) })];
    }

    /// <inheritdoc />
    public async Task<KrlContent> ReadKrlContentAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One read transaction: the version and the entries agree.
            using var transaction = BeginSnapshot();
            using var state = Reader.CreateCommand();
            state.Transaction = transaction;
            state.CommandText = "SELECT version, changed_at FROM krl_state WHERE id = 1;";
            ulong version, changed;
            using (var row = state.ExecuteReader())
            {
                row.Read();
                version = (ulong)row.GetInt64(0);
                changed = (ulong)row.GetInt64(1);
            }

            var items = ReadItems("ORDER BY revocation_id, rowid", transaction: transaction);
            using var expired = Reader.CreateCommand();
            expired.Transaction = transaction;
            expired.CommandText = $"SELECT DISTINCT c.type, c.serial {ExpiredRevokedSerials} ORDER BY c.serial;";
            expired.AddParameter("@before", (long)Math.Min(changed, long.MaxValue));
            var serials = new List<(SshCertificateType, ulong)>();
            using (var row = expired.ExecuteReader())
            {
                while (row.Read())
                {
                    serials.Add((AuditNames.ParseType(row.GetString(0)), (ulong)row.GetInt64(1)));
                }
            }

            return new KrlContent(version, changed, items, serials) { Trust = ReadLatestTrustSet(transaction) };
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<ulong?> PruneKrlAsync(ulong now, CancellationToken cancellationToken)
    {
        ulong? version = null;
        await EnqueueAsync(transaction =>
        {
            // A new version only when some revoked serial's certificate expired (with the margin)
            // between the last change and now: otherwise the bytes would not change.
            using var check = _connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = $"SELECT EXISTS (SELECT 1 {ExpiredRevokedSerials} AND CAST(c.valid_before AS {_dialect.Number}) + {KrlContent.ExpiryMargin} >= (SELECT changed_at FROM krl_state WHERE id = 1));";
            check.AddParameter("@before", (long)Math.Min(now, long.MaxValue));
            if (!Convert.ToBoolean(check.ExecuteScalar(), CultureInfo.InvariantCulture))
            {
                return 0;
            }

            using var bump = _connection.CreateCommand();
            bump.Transaction = transaction;
            bump.CommandText = "UPDATE krl_state SET version = version + 1, changed_at = @now WHERE id = 1 RETURNING version;";
            bump.AddParameter("@now", (long)Math.Min(now, long.MaxValue));
            version = (ulong)(long)bump.ExecuteScalar()!;
            return version.Value;
        }, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>FROM/WHERE of the revoked serials whose issued certificate expired (with the margin) before @before.</summary>
    private string ExpiredRevokedSerials => $"""
        FROM certificates c JOIN revoked_items r
          ON r.kind = 'serial' AND r.ca = c.type AND c.serial BETWEEN r.serial_lo AND r.serial_hi
        WHERE c.outcome = 'issued' AND CAST(c.valid_before AS {_dialect.Number}) + {KrlContent.ExpiryMargin} < @before
        """;

    /// <inheritdoc />
    public async Task<ulong> KrlVersionAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT version FROM krl_state WHERE id = 1;";
            return (ulong)(long)command.ExecuteScalar()!;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<RevocationRecord?> FindRevocationAsync(ulong serial, SshCertificateType type, string subjectFingerprint, string caFingerprint, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var found = ReadRevocations(
                """
                WHERE id = (SELECT MIN(revocation_id) FROM revoked_items
                    WHERE (kind = 'serial' AND ca = @ca AND serial_lo <= @serial AND serial_hi >= @serial)
                       OR (kind IN ('key', 'key-sha256') AND fingerprint = @subject)
                       OR (kind = 'ca-key' AND fingerprint = @caKey))
                """,
                [("@ca", AuditNames.Name(type)), ("@serial", serial > long.MaxValue ? long.MaxValue : (long)serial), ("@subject", subjectFingerprint), ("@caKey", caFingerprint)]);
            return found.Count == 0 ? null : found[0];
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<ulong, RevocationRecord>> FindRevocationsAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return new Dictionary<ulong, RevocationRecord>();
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The page as a table of its own (serial, CA, subject key, CA key), joined once with
            // every revoked item that covers a row: the same rule as FindRevocationAsync.
            using var command = Reader.CreateCommand();
            var rows = new List<string>(records.Count);
            for (var i = 0; i < records.Count; i++)
            {
                var r = records[i];
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"(@s{i}, @c{i}, @f{i}, @k{i})"));
                command.AddParameter($"@s{i}", r.Serial > long.MaxValue ? long.MaxValue : (long)r.Serial);
                command.AddParameter($"@c{i}", AuditNames.Name(r.Type));
                command.AddParameter($"@f{i}", r.SubjectKeyFingerprint);
                command.AddParameter($"@k{i}", r.CaKeyFingerprint);
            }

            command.CommandText = $"""
                WITH page(serial, ca, subject, cakey) AS (VALUES {string.Join(", ", rows)})
                SELECT page.serial, MIN(i.revocation_id) FROM page JOIN revoked_items i ON
                       (i.kind = 'serial' AND i.ca = page.ca AND i.serial_lo <= page.serial AND i.serial_hi >= page.serial)
                    OR (i.kind IN ('key', 'key-sha256') AND i.fingerprint = page.subject)
                    OR (i.kind = 'ca-key' AND i.fingerprint = page.cakey)
                GROUP BY page.serial;
                """;
            var covering = new Dictionary<ulong, long>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    covering[(ulong)reader.GetInt64(0)] = reader.GetInt64(1);
                }
            }

            if (covering.Count == 0)
            {
                return new Dictionary<ulong, RevocationRecord>();
            }

            var ids = covering.Values.Distinct().ToList();
            var revocations = ReadRevocations(
                "WHERE id IN (" + string.Join(", ", ids.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"@r{i}"))) + ")",
                [.. ids.Select((id, i) => (string.Create(CultureInfo.InvariantCulture, $"@r{i}"), (object)id))]).ToDictionary(r => (long)r.Id);
            return covering.ToDictionary(c => c.Key, c => revocations[c.Value]);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditRecord>> FindIssuedAsync(CertificateQuery query, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string> { "outcome = 'issued'", "created_at >= @since" };
        var parameters = new List<(string, object)> { ("@since", (long)query.Since), ("@limit", limit) };
        if (query.KeyId is not null)
        {
            where.Add("key_id = @key_id");
            parameters.Add(("@key_id", query.KeyId));
        }

        if (query.Principal is not null)
        {
            where.Add("serial IN (SELECT serial FROM certificate_principals WHERE principal = @principal)");
            parameters.Add(("@principal", query.Principal));
        }

        if (query.Caller is not null)
        {
            where.Add("caller = @caller");
            parameters.Add(("@caller", query.Caller));
        }

        where.Add("type IN (" + string.Join(", ", query.Types.Select(t => $"'{AuditNames.Name(t)}'")) + ")");
        return QueryAsync("SELECT * FROM certificates WHERE " + string.Join(" AND ", where) + " ORDER BY serial LIMIT @limit;", parameters, cancellationToken);
    }

    private List<RevokedItem> ReadItems(string clause, (string Name, object Value)? parameter = null, DbTransaction? transaction = null)
    {
        using var command = Reader.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {ItemColumns} FROM revoked_items {clause};";
        if (parameter is { } p)
        {
            command.AddParameter(p.Name, p.Value);
        }

        var items = new List<RevokedItem>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var kind = ParseKind(reader.GetString(0));
            items.Add(new RevokedItem(
                kind,
                reader.IsDBNull(1) ? null : AuditNames.ParseType(reader.GetString(1)),
                reader.IsDBNull(2) ? 0 : (ulong)reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : (ulong)reader.GetInt64(3),
                reader.GetString(4),
                reader.GetString(5)));
        }

        return items;
    }

    /// <summary>The stored name of a kind (also the API's).</summary>
    public static string KindName(RevokedKind kind) => kind switch
    {
        RevokedKind.Serial => "serial",
        RevokedKind.Key => "key",
        RevokedKind.KeySha256 => "key-sha256",
        _ => "ca-key",
    };

    private static RevokedKind ParseKind(string name) => name switch
    {
        "serial" => RevokedKind.Serial,
        "key" => RevokedKind.Key,
        "key-sha256" => RevokedKind.KeySha256,
        "ca-key" => RevokedKind.CaKey,
        _ => throw new InvalidDataException($"the audit store holds an unknown revocation kind '{name}'"),
    };
}
