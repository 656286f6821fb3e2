using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The issuance-log leaf of each kind of record, made one way: when the record is written (the
/// store appends it) and when it is read back to be checked (<c>audit verify --records</c>).
/// </summary>
internal static class LogEntries
{
    /// <summary>The leaf of an issued certificate's record.</summary>
    public static LogEntry Certificate(AuditRecord record, string appliance)
    {
        ArgumentNullException.ThrowIfNull(record);
        return LogEntry.ForCertificate(record.CreatedAt, appliance, record.Serial, record.Fields.KeyId,
            record.Certificate ?? throw new ArgumentException("an issued record has its certificate", nameof(record)), record.Caller, record.Type);
    }

    /// <summary>The leaf of a revocation's record (with its id and KRL version).</summary>
    public static LogEntry Revocation(RevocationRecord revocation, string appliance)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        return new LogEntry
        {
            Kind = LogEntryKind.Revocation,
            Time = revocation.CreatedAt,
            Appliance = appliance,
            Serial = revocation.Id,
            Subject = revocation.Selector,
            Digest = RevocationDigest(revocation.Items),
            Caller = revocation.Caller,
            Detail = string.Create(CultureInfo.InvariantCulture, $"krl {revocation.KrlVersion}: {revocation.Reason}"),
        };
    }

    /// <summary>SHA-256 over a revocation's KRL entries, one line each ("kind ca lo hi value fingerprint"), sorted: the same for every engine's row order.</summary>
    public static byte[] RevocationDigest(IEnumerable<RevokedItem> items)
    {
        var lines = items.Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{SqlAuditStore.KindName(i.Kind)} {(i.Ca is { } ca ? AuditNames.Name(ca) : "-")} {i.SerialLo} {i.SerialHi} {i.Value} {i.Fingerprint}\n")).Order(StringComparer.Ordinal);
        return SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(lines)));
    }
}
