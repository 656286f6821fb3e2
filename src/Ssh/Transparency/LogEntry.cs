using System.Text;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Ssh.Transparency;

/// <summary>
/// One leaf of the issuance log: the canonical bytes (docs/audit-log.md) whose RFC 6962 leaf hash
/// goes into the tree. One layout for every kind, in SSH wire encoding:
/// <code>
/// string  "ssh-hsm-ca-log-entry-v1"
/// byte    kind        (1 certificate, 2 revocation, 3 CA key state, 4 reload)
/// uint64  time        (Unix seconds)
/// string  appliance   (the appliance that wrote it)
/// uint64  serial      (certificate serial; revocation id; 0 otherwise)
/// string  subject     (key id; revocation selector; CA key fingerprint; "policy")
/// string  digest      (32 bytes: SHA-256 of the certificate blob; of the revocation's KRL
///                      entries; of the CA key blob; of the policy file)
/// string  caller      (who asked; the appliance for its own changes)
/// string  detail      ("user"/"host"; "krl N: reason"; "userCa active"; the configuration summary)
/// </code>
/// Strings are UTF-8 without NUL; nothing follows the last field. A certificate's policy is the
/// one of the latest reload leaf of its appliance before it.
/// </summary>
public sealed record LogEntry
{
    /// <summary>The first field: names the layout so that a leaf is never read as something else.</summary>
    public const string Magic = "ssh-hsm-ca-log-entry-v1";

    /// <summary>The longest leaf read or written.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>What it records.</summary>
    public required LogEntryKind Kind { get; init; }

    /// <summary>When, Unix seconds.</summary>
    public required ulong Time { get; init; }

    /// <summary>The appliance that wrote it.</summary>
    public required string Appliance { get; init; }

    /// <summary>Certificate serial, revocation id, or 0.</summary>
    public ulong Serial { get; init; }

    /// <summary>Key id, revocation selector, CA key fingerprint or "policy".</summary>
    public required string Subject { get; init; }

    /// <summary>SHA-256 of what the entry is about (32 bytes).</summary>
    public required ReadOnlyMemory<byte> Digest { get; init; }

    /// <summary>Who asked.</summary>
    public required string Caller { get; init; }

    /// <summary>A short description (kind-specific).</summary>
    public required string Detail { get; init; }

    /// <summary>The entry of an issued certificate (<paramref name="certificateLine"/> is its OpenSSH line).</summary>
    public static LogEntry ForCertificate(ulong time, string appliance, ulong serial, string keyId, string certificateLine, string caller, SshCertificateType type) => new()
    {
        Kind = LogEntryKind.Certificate,
        Time = time,
        Appliance = appliance,
        Serial = serial,
        Subject = keyId,
        Digest = BlobDigest(certificateLine),
        Caller = caller,
        Detail = type == SshCertificateType.User ? "user" : "host",
    };

    /// <summary>The entry of a policy and configuration put in force (at start or a reload): the policy file's SHA-256.</summary>
    public static LogEntry ForReload(ulong time, string appliance, ReadOnlySpan<byte> policyFile, string caller, string detail) => new()
    {
        Kind = LogEntryKind.Reload,
        Time = time,
        Appliance = appliance,
        Subject = "policy",
        Digest = System.Security.Cryptography.SHA256.HashData(policyFile),
        Caller = caller,
        Detail = detail,
    };

    /// <summary>SHA-256 of the blob of an OpenSSH key or certificate line (the base64 field decoded, the comment left out).</summary>
    public static byte[] BlobDigest(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var blob = SshLine.Split(line, "line", out _, out _);
        return System.Security.Cryptography.SHA256.HashData(blob);
    }

    /// <summary>The canonical bytes.</summary>
    public byte[] Encode()
    {
        if (Digest.Length != MerkleTree.HashLength)
        {
            throw new InvalidOperationException("a log entry's digest is 32 bytes");
        }

        var writer = new SshWriter(256);
        writer.WriteString(Magic);
        writer.WriteByte((byte)Kind);
        writer.WriteUInt64(Time);
        writer.WriteString(Appliance);
        writer.WriteUInt64(Serial);
        writer.WriteString(Subject);
        writer.WriteString(Digest.Span);
        writer.WriteString(Caller);
        writer.WriteString(Detail);
        return writer.Length <= MaxLength ? writer.ToArray() : throw new InvalidOperationException($"a log entry is at most {MaxLength} bytes");
    }

    /// <summary>The RFC 6962 leaf hash of the canonical bytes.</summary>
    public byte[] LeafHash() => MerkleTree.LeafHash(Encode());

    /// <summary>Reads canonical bytes; strict (the magic, a known kind, a 32-byte digest, text fields, nothing after).</summary>
    public static LogEntry Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength)
        {
            ThrowHelper.Format("entry", $"{bytes.Length} bytes exceed {MaxLength}");
        }

        var reader = new SshReader(bytes);
        if (!reader.ReadString("entry.magic").SequenceEqual(Encoding.ASCII.GetBytes(Magic)))
        {
            ThrowHelper.Format("entry.magic", $"not \"{Magic}\"");
        }

        var kind = reader.ReadByte("entry.kind");
        if (kind is < (byte)LogEntryKind.Certificate or > (byte)LogEntryKind.Reload)
        {
            ThrowHelper.Format("entry.kind", $"{kind} is not a kind of entry (1 to 4)");
        }

        var time = reader.ReadUInt64("entry.time");
        var appliance = reader.ReadText("entry.appliance");
        var serial = reader.ReadUInt64("entry.serial");
        var subject = reader.ReadText("entry.subject");
        var digest = reader.ReadString("entry.digest");
        if (digest.Length != MerkleTree.HashLength)
        {
            ThrowHelper.Format("entry.digest", $"{digest.Length} bytes, not 32");
        }

        var digestBytes = digest.ToArray();
        var caller = reader.ReadText("entry.caller");
        var detail = reader.ReadText("entry.detail");
        reader.EnsureAtEnd("entry");
        return new LogEntry { Kind = (LogEntryKind)kind, Time = time, Appliance = appliance, Serial = serial, Subject = subject, Digest = digestBytes, Caller = caller, Detail = detail };
    }

    /// <summary>Equal fields (the digest by value).</summary>
    public bool Equals(LogEntry? other) =>
        other is not null && Kind == other.Kind && Time == other.Time && Appliance == other.Appliance && Serial == other.Serial
        && Subject == other.Subject && Digest.Span.SequenceEqual(other.Digest.Span) && Caller == other.Caller && Detail == other.Detail;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Time, Appliance, Serial, Subject, Caller);

    /// <summary>One line for people: kind, serial, subject, caller, time.</summary>
    public override string ToString() => $"{Kind switch { LogEntryKind.Certificate => "certificate", LogEntryKind.Revocation => "revocation", LogEntryKind.CaKeyState => "ca-key", _ => "reload" }} {Serial} \"{Subject}\" by \"{Caller}\" on {Appliance} at {DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(Time, 253_402_300_799UL)):yyyy-MM-ddTHH:mm:ssZ} ({Detail})";
}
