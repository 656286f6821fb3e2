using System.Globalization;
using System.Text.Json;
using System.Data.Common;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// Issuing attempts: serials reserved from a durable block, intents held in memory, and each
/// attempt's record written once, with its outcome, through the group commit.
/// </summary>
internal sealed partial class SqlAuditStore
{
    /// <summary>
    /// A unique non-zero serial, without a durable write of its own (issue 19): serials come from
    /// a block taken from the database once per <see cref="SerialBlock"/> reservations, so a
    /// process that stops never hands out a serial again after its restart, and two appliances
    /// never hand out the same one (unused ones are a gap).
    /// The intent stays in memory; the record is written once, with its outcome.
    /// </summary>
    public async Task<ulong> ReserveAsync(AuditRecord intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        while (true)
        {
            Task extending;
            lock (_serials)
            {
                if (_nextSerial < _serialLimit)
                {
                    var serial = _nextSerial++;
                    _intents[serial] = intent with { Serial = serial, Outcome = AuditOutcome.Pending };
                    return serial;
                }

                extending = _extending ??= ExtendSerialsAsync();
            }

            await extending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the next block of serials from the database: one durable write moves its counter on
    /// by <see cref="SerialBlock"/> and returns the block's end, so several appliances on one
    /// database (or a process after a restart) never get the same serial.
    /// </summary>
    private async Task ExtendSerialsAsync()
    {
        try
        {
            var end = await EnqueueAsync(transaction =>
            {
                using var update = _connection.CreateCommand();
                update.Transaction = transaction;
                update.CommandText = "UPDATE serial_reservations SET next = next + @block WHERE id = 1 RETURNING next;";
                update.AddParameter("@block", (long)SerialBlock);
                return (ulong)Convert.ToInt64(update.ExecuteScalar(), CultureInfo.InvariantCulture);
            }, CancellationToken.None).ConfigureAwait(false);
            lock (_serials)
            {
                _nextSerial = end - SerialBlock;
                _serialLimit = end;
            }
        }
        finally
        {
            lock (_serials)
            {
                _extending = null;
            }
        }
    }

    /// <inheritdoc />
    public Task CommitIssuedAsync(ulong serial, string certificate, CancellationToken cancellationToken) =>
        CommitAsync(serial, AuditOutcome.Issued, null, certificate, cancellationToken);

    /// <inheritdoc />
    public Task CommitFailedAsync(ulong serial, string failure, CancellationToken cancellationToken) =>
        CommitAsync(serial, AuditOutcome.Failed, failure, null, cancellationToken);

    /// <summary>The one durable write of an attempt: its record with its outcome (group commit).</summary>
    private async Task CommitAsync(ulong serial, AuditOutcome outcome, string? failure, string? certificate, CancellationToken cancellationToken)
    {
        if (!_intents.TryRemove(serial, out var intent))
        {
            throw new InvalidOperationException($"audit record {serial} is not pending");
        }

        try
        {
            await EnqueueAsync(transaction => Insert(transaction, intent with { Outcome = outcome, Failure = failure, Certificate = certificate }), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not written: the outcome can still be recorded (as failed, by the caller).
            _intents.TryAdd(serial, intent);
            throw;
        }
    }

    private ulong Insert(DbTransaction transaction, AuditRecord record)
    {
        using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO certificates (serial, type, key_id, principals, valid_after, valid_before, critical_options, extensions,
                subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, outcome, failure, certificate)
            VALUES (@serial, @type, @key_id, @principals, @valid_after, @valid_before, @critical, @extensions,
                @subject, @ca, @caller, @method, @source, @request, @created, @outcome, @failure, @certificate);
            """;
        insert.AddParameter("@serial", (long)record.Serial);
        insert.AddParameter("@type", AuditNames.Name(record.Type));
        insert.AddParameter("@key_id", record.Fields.KeyId);
        insert.AddParameter("@principals", JsonSerializer.Serialize(record.Fields.Principals));
        insert.AddParameter("@valid_after", record.Fields.ValidAfter.ToString(CultureInfo.InvariantCulture));
        insert.AddParameter("@valid_before", record.Fields.ValidBefore.ToString(CultureInfo.InvariantCulture));
        insert.AddParameter("@critical", StoredOptions.Encode(record.Fields.CriticalOptions));
        insert.AddParameter("@extensions", StoredOptions.Encode(record.Fields.Extensions));
        insert.AddParameter("@subject", record.SubjectKeyFingerprint);
        insert.AddParameter("@ca", record.CaKeyFingerprint);
        insert.AddParameter("@caller", record.Caller);
        insert.AddParameter("@method", AuthMethods.Name(record.AuthMethod));
        insert.AddParameter("@source", record.SourceAddress);
        insert.AddParameter("@request", record.RequestId);
        insert.AddParameter("@created", (long)record.CreatedAt);
        insert.AddParameter("@outcome", AuditNames.Name(record.Outcome));
        insert.AddParameter("@failure", (object?)record.Failure ?? DBNull.Value);
        insert.AddParameter("@certificate", (object?)record.Certificate ?? DBNull.Value);
        insert.ExecuteNonQuery();
        foreach (var principal in record.Fields.Principals)
        {
            using var p = _connection.CreateCommand();
            p.Transaction = transaction;
            p.CommandText = "INSERT INTO certificate_principals (serial, principal) VALUES (@serial, @principal);";
            p.AddParameter("@serial", (long)record.Serial);
            p.AddParameter("@principal", principal);
            p.ExecuteNonQuery();
        }

        if (record.Outcome == AuditOutcome.Issued)
        {
            // In the record's transaction: a certificate is never committed (nor returned) without its leaf.
            Append(transaction, LogEntries.Certificate(record, Appliance), "certificate", (long)record.Serial);
        }

        return record.Serial;
    }
}
