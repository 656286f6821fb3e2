using System.Security.Cryptography;
using System.Text.Json;
using System.Data.Common;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Bootstrap tokens and authentication events, written through the same group commit.</summary>
internal sealed partial class SqlAuditStore
{
    /// <inheritdoc />
    public Task CreateBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return EnqueueAsync(transaction =>
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO bootstrap_tokens (id, secret_sha256, host_names, created_by, created_at, expires_at)
                VALUES (@id, @hash, @hosts, @by, @created, @expires);
                """;
            insert.AddParameter("@id", token.Id);
            insert.AddParameter("@hash", token.SecretSha256.ToArray());
            insert.AddParameter("@hosts", JsonSerializer.Serialize(token.HostNames));
            insert.AddParameter("@by", token.CreatedBy);
            insert.AddParameter("@created", (long)token.CreatedAt);
            insert.AddParameter("@expires", (long)token.ExpiresAt);
            insert.ExecuteNonQuery();
            InsertEvent(transaction, new AuthEvent(token.CreatedAt, "bootstrap-token-created", token.Id, token.CreatedBy, "unix", "created", string.Join(',', token.HostNames)));
            return 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<BootstrapRedemption> CheckBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var select = Reader.CreateCommand();
            return Check(select, id, secretSha256, now);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<BootstrapRedemption> RedeemBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, string sourceAddress, CancellationToken cancellationToken)
    {
        var result = new BootstrapRedemption(null, "unknown token");
        await EnqueueAsync(transaction =>
        {
            using (var select = _connection.CreateCommand())
            {
                select.Transaction = transaction;
                result = Check(select, id, secretSha256, now);
            }

            if (!result.Accepted)
            {
                // A refusal is counted by the caller, never written: an unauthenticated flood must
                // not become a durable write each (issue 13).
                return 0;
            }

            using var use = _connection.CreateCommand();
            use.Transaction = transaction;
            use.CommandText = "UPDATE bootstrap_tokens SET used_at = @now, used_from = @from WHERE id = @id AND used_at IS NULL;";
            use.AddParameter("@id", id);
            use.AddParameter("@now", (long)now);
            use.AddParameter("@from", sourceAddress);
            if (use.ExecuteNonQuery() != 1)
            {
                result = new BootstrapRedemption(null, "already used");
                return 0;
            }

            InsertEvent(transaction, new AuthEvent(now, "bootstrap-token-used", id, "bootstrap:" + id, sourceAddress, "accepted", string.Join(',', result.HostNames!)));
            return 1;
        }, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public Task ReleaseBootstrapTokenAsync(string id, ulong now, string sourceAddress, string why, CancellationToken cancellationToken) =>
        EnqueueAsync(transaction =>
        {
            using var release = _connection.CreateCommand();
            release.Transaction = transaction;
            release.CommandText = "UPDATE bootstrap_tokens SET used_at = NULL, used_from = NULL WHERE id = @id AND used_at IS NOT NULL;";
            release.AddParameter("@id", id);
            if (release.ExecuteNonQuery() == 1)
            {
                InsertEvent(transaction, new AuthEvent(now, "bootstrap-token-released", id, "bootstrap:" + id, sourceAddress, "released", why));
            }

            return 1;
        }, cancellationToken);

    private static BootstrapRedemption Check(DbCommand select, string id, ReadOnlyMemory<byte> secretSha256, ulong now)
    {
        select.CommandText = "SELECT secret_sha256, host_names, expires_at, used_at FROM bootstrap_tokens WHERE id = @id;";
        select.AddParameter("@id", id);
        using var reader = select.ExecuteReader();
        if (!reader.Read())
        {
            return new BootstrapRedemption(null, "unknown token");
        }

        if (!CryptographicOperations.FixedTimeEquals((byte[])reader[0], secretSha256.Span))
        {
            return new BootstrapRedemption(null, "wrong secret");
        }

        if (!reader.IsDBNull(3))
        {
            return new BootstrapRedemption(null, "already used");
        }

        return (ulong)reader.GetInt64(2) <= now
            ? new BootstrapRedemption(null, "expired")
            : new BootstrapRedemption(JsonSerializer.Deserialize<string[]>(reader.GetString(1)), null);
    }

    /// <inheritdoc />
    public Task RecordAuthEventAsync(AuthEvent authEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authEvent);
        return EnqueueAsync(transaction =>
        {
            InsertEvent(transaction, authEvent);
            return 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuthEvent>> ListAuthEventsAsync(int limit, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Reader.CreateCommand();
            command.CommandText = "SELECT time, kind, subject, caller, source_address, outcome, detail FROM auth_events ORDER BY id DESC LIMIT @limit;";
            command.AddParameter("@limit", Math.Clamp(limit, 1, 1000));
            using var reader = command.ExecuteReader();
            var events = new List<AuthEvent>();
            while (reader.Read())
            {
                events.Add(new AuthEvent((ulong)reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)));
            }

            return events;
        }
        finally
        {
            _lock.Release();
        }
    }

    private void InsertEvent(DbTransaction transaction, AuthEvent e)
    {
        using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO auth_events (time, kind, subject, caller, source_address, outcome, detail)
            VALUES (@time, @kind, @subject, @caller, @source, @outcome, @detail);
            """;
        insert.AddParameter("@time", (long)e.Time);
        insert.AddParameter("@kind", e.Kind);
        insert.AddParameter("@subject", e.Subject);
        insert.AddParameter("@caller", e.Caller);
        insert.AddParameter("@source", e.SourceAddress);
        insert.AddParameter("@outcome", e.Outcome);
        insert.AddParameter("@detail", e.Detail);
        insert.ExecuteNonQuery();
    }
}
