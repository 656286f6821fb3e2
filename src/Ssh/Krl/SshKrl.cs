using System.Security.Cryptography;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// An OpenSSH key revocation list (PROTOCOL.krl), as sshd's <c>RevokedKeys</c>, ssh's
/// <c>RevokedHostKeys</c> and <c>ssh-keygen -k/-Q</c> read it. <see cref="Encode"/> writes the
/// bytes <c>ssh-keygen -k</c> writes for the same revocations (krl.c's choice of serial list,
/// range and bitmap), except that a bitmap never exceeds 16,384 bits, the most OpenSSH reads
/// back (sshbuf's SSHBUF_MAX_BIGNUM; ssh-keygen 9.2 writes longer ones it then refuses to read,
/// and sshd would treat such a file as revoking everything). Never a SIGNATURE section:
/// OpenSSH ≥ 9.4 refuses them; KRLs are signed out of band (SSHSIG).
/// </summary>
public sealed class SshKrl
{
    /// <summary>The largest KRL parsed (64 MiB, several million serials as a list).</summary>
    public const int MaxLength = 64 * 1024 * 1024;

    /// <summary>The most bits a serial bitmap holds that OpenSSH reads back (2,048 bytes).</summary>
    public const int MaxBitmapBits = 16384;

    private const ulong Magic = 0x5353484B524C0A00;
    private const uint FormatVersion = 1;
    private const byte SectionCertificates = 1;
    private const byte SectionExplicitKey = 2;
    private const byte SectionFingerprintSha1 = 3;
    private const byte SectionSignature = 4;
    private const byte SectionFingerprintSha256 = 5;
    private const byte SectionExtension = 255;
    private const byte SerialList = 0x20;
    private const byte SerialRange = 0x21;
    private const byte SerialBitmap = 0x22;
    private const byte KeyIdList = 0x23;
    private const byte CertificateExtension = 0x39;

    internal SshKrl(ulong version, ulong generatedDate, string comment, IReadOnlyList<KrlCertificateSection> certificates, IReadOnlyList<byte[]> explicitKeys, IReadOnlyList<byte[]> sha1, IReadOnlyList<byte[]> sha256)
    {
        Version = version;
        GeneratedDate = generatedDate;
        Comment = comment;
        Certificates = certificates;
        ExplicitKeys = explicitKeys;
        Sha1Fingerprints = sha1;
        Sha256Fingerprints = sha256;
    }

    /// <summary>The KRL version (krl_version): the CA increases it with every change.</summary>
    public ulong Version { get; }

    /// <summary>When it was generated, Unix seconds.</summary>
    public ulong GeneratedDate { get; }

    /// <summary>The comment.</summary>
    public string Comment { get; }

    /// <summary>Certificate revocations, one section per CA key, in the order written.</summary>
    public IReadOnlyList<KrlCertificateSection> Certificates { get; }

    /// <summary>Revoked plain key blobs (EXPLICIT_KEY), sorted.</summary>
    public IReadOnlyList<byte[]> ExplicitKeys { get; }

    /// <summary>Revoked keys by SHA-1 of their blob, sorted (read, never written by this CA).</summary>
    public IReadOnlyList<byte[]> Sha1Fingerprints { get; }

    /// <summary>Revoked keys by SHA-256 of their blob, sorted.</summary>
    public IReadOnlyList<byte[]> Sha256Fingerprints { get; }

    /// <summary>
    /// OpenSSH's verdict (krl.c ssh_krl_check_key) on a plain key: revoked when its blob, or the
    /// SHA-1 or SHA-256 of its blob, is listed.
    /// </summary>
    public bool IsRevoked(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return IsBlobRevoked(key.Blob.Span);
    }

    /// <summary>
    /// OpenSSH's verdict on a certificate: its plain key is revoked; or, in the section of its CA
    /// or of any CA, its key id is listed or its serial (when not 0) is; or its CA key is revoked.
    /// </summary>
    public bool IsRevoked(SshCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (IsBlobRevoked(certificate.PublicKey.Blob.Span))
        {
            return true;
        }

        foreach (var section in Certificates)
        {
            if ((section.AnyCa || section.CaKeyBlob.Span.SequenceEqual(certificate.SignatureKey.Blob.Span))
                && (section.RevokesKeyId(certificate.KeyIdBytes.Span) || section.RevokesSerial(certificate.Serial)))
            {
                return true;
            }
        }

        return IsBlobRevoked(certificate.SignatureKey.Blob.Span);
    }

    /// <summary>Writes the KRL (header, certificate sections, explicit keys, SHA-1, SHA-256).</summary>
    public byte[] Encode()
    {
        var writer = new SshWriter(256);
        writer.WriteUInt64(Magic);
        writer.WriteUInt32(FormatVersion);
        writer.WriteUInt64(Version);
        writer.WriteUInt64(GeneratedDate);
        writer.WriteUInt64(0);
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        writer.WriteString(Comment);
        foreach (var section in Certificates)
        {
            writer.WriteByte(SectionCertificates);
            using (writer.PushString())
            {
                WriteCertificateSection(writer, section);
            }
        }

        WriteBlobSection(writer, SectionExplicitKey, ExplicitKeys);
        WriteBlobSection(writer, SectionFingerprintSha1, Sha1Fingerprints);
        WriteBlobSection(writer, SectionFingerprintSha256, Sha256Fingerprints);
        return writer.ToArray();
    }

    /// <summary>Parses a KRL strictly: unknown or signature sections, critical extensions, trailing bytes, serial 0 and reversed ranges fail.</summary>
    /// <exception cref="SshFormatException">The bytes are not a KRL OpenSSH would accept.</exception>
    public static SshKrl Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxLength)
        {
            ThrowHelper.Format("KRL", $"{bytes.Length} bytes exceeds {MaxLength}");
        }

        var reader = new SshReader(bytes.Span);
        if (bytes.Length < 8 || reader.ReadUInt64("KRL magic") != Magic)
        {
            ThrowHelper.Format("KRL magic", "not an OpenSSH KRL (expected SSHKRL\\n\\0)");
        }

        var format = reader.ReadUInt32("KRL format version");
        if (format != FormatVersion)
        {
            ThrowHelper.Format("KRL format version", $"{format} is not 1");
        }

        var version = reader.ReadUInt64("krl_version");
        var date = reader.ReadUInt64("generated_date");
        var flags = reader.ReadUInt64("flags");
        if (flags != 0)
        {
            ThrowHelper.Format("flags", $"0x{flags:x} is not 0");
        }

        _ = reader.ReadString("reserved");
        var commentBytes = reader.ReadString("comment");
        if (commentBytes.Contains((byte)0))
        {
            ThrowHelper.Format("comment", "contains NUL");
        }

        string comment;
        try
        {
            comment = SshText.Decode(commentBytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return ThrowHelper.Format<SshKrl>("comment", "not UTF-8");
        }

        var builder = new SshKrlBuilder();
        while (!reader.IsAtEnd)
        {
            var type = reader.ReadByte("section type");
            var (offset, length) = reader.ReadStringRange("section data");
            var data = bytes.Slice(offset, length);
            switch (type)
            {
                case SectionCertificates:
                    ParseCertificateSection(data, builder);
                    break;
                case SectionExplicitKey:
                    ParseBlobs(data.Span, "explicit key", 0, builder.AddExplicitKeyBlob);
                    break;
                case SectionFingerprintSha1:
                    ParseBlobs(data.Span, "SHA1 fingerprint", 20, builder.AddSha1);
                    break;
                case SectionFingerprintSha256:
                    ParseBlobs(data.Span, "SHA256 fingerprint", 32, builder.AddSha256);
                    break;
                case SectionSignature:
                    ThrowHelper.Format("section", "a SIGNATURE section (OpenSSH 9.4 and later refuse KRLs that carry one; sign out of band with SSHSIG)");
                    break;
                case SectionExtension:
                    ParseExtension(data.Span, "KRL extension");
                    break;
                default:
                    ThrowHelper.Format("section type", $"unknown section type {type}");
                    break;
            }
        }

        return builder.Build(version, date, comment);
    }

    private bool IsBlobRevoked(ReadOnlySpan<byte> blob)
    {
        if (Contains(ExplicitKeys, blob))
        {
            return true;
        }

        if (Sha256Fingerprints.Count > 0 && Contains(Sha256Fingerprints, SHA256.HashData(blob)))
        {
            return true;
        }

#pragma warning disable CA5350 // SHA-1 fingerprints are part of the KRL format; read, never written.
        return Sha1Fingerprints.Count > 0 && Contains(Sha1Fingerprints, SHA1.HashData(blob));
#pragma warning restore CA5350
    }

    /// <summary>Binary search in a list sorted bytewise.</summary>
    internal static bool Contains(IReadOnlyList<byte[]> sorted, ReadOnlySpan<byte> value)
    {
        int lo = 0, hi = sorted.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var order = sorted[mid].AsSpan().SequenceCompareTo(value);
            if (order == 0)
            {
                return true;
            }

            if (order < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return false;
    }

    private static void WriteBlobSection(SshWriter writer, byte type, IReadOnlyList<byte[]> blobs)
    {
        if (blobs.Count == 0)
        {
            return;
        }

        writer.WriteByte(type);
        using (writer.PushString())
        {
            foreach (var blob in blobs)
            {
                writer.WriteString(blob);
            }
        }
    }

    /// <summary>krl.c revoked_certs_generate: the serial runs in order, each in the cheapest subsection.</summary>
    private static void WriteCertificateSection(SshWriter writer, KrlCertificateSection section)
    {
        writer.WriteString(section.CaKeyBlob.Span);
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        var ranges = section.Serials;
        byte state = 0;
        ulong last = 0;
        ulong bitmapStart = 0;
        var bitmap = new List<ulong>();
        var serials = new SshWriter(64);
        void Finish()
        {
            if (state == SerialBitmap)
            {
                serials.WriteMpint(BitmapBytes(bitmap));
                bitmap.Clear();
            }

            writer.WriteByte(state);
            writer.WriteString(serials.WrittenSpan);
            serials = new SshWriter(64);
        }

        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var final = i == ranges.Count - 1;
            var gap = final ? 0 : ranges[i + 1].Lo - range.Hi;
            var contig = range.Count;
            var next = ChooseNextState(state, contig, final, state == 0 ? 0 : range.Lo - last, gap, out var forceNew);

            // A bitmap must stay readable by OpenSSH: past 16,384 bits the run starts a new subsection.
            if (state == SerialBitmap && next == SerialBitmap && !forceNew && range.Hi - bitmapStart >= MaxBitmapBits)
            {
                next = ChooseNextState(0, contig, final, 0, gap, out _);
                forceNew = true;
            }

            if (state != 0 && (forceNew || next != state || state == SerialRange))
            {
                Finish();
            }

            if (next != state || forceNew)
            {
                state = next;
                if (state == SerialBitmap)
                {
                    bitmapStart = range.Lo;
                    serials.WriteUInt64(bitmapStart);
                }
            }

            switch (state)
            {
                case SerialList:
                    for (var s = range.Lo; ; s++)
                    {
                        serials.WriteUInt64(s);
                        if (s == range.Hi)
                        {
                            break;
                        }
                    }

                    break;
                case SerialRange:
                    serials.WriteUInt64(range.Lo);
                    serials.WriteUInt64(range.Hi);
                    break;
                default:
                    SetBits(bitmap, range.Lo - bitmapStart, range.Hi - bitmapStart);
                    break;
            }

            last = range.Hi;
        }

        if (state != 0)
        {
            Finish();
        }

        if (section.KeyIdBytes.Count > 0)
        {
            writer.WriteByte(KeyIdList);
            using (writer.PushString())
            {
                foreach (var id in section.KeyIdBytes)
                {
                    writer.WriteString(id);
                }
            }
        }
    }

    /// <summary>
    /// krl.c choose_next_state: the bit cost of continuing or starting each subsection type, in
    /// whole bytes; the cheapest wins (bitmap, then range, then list, then a new bitmap, on ties
    /// the earlier).
    /// </summary>
    private static byte ChooseNextState(byte current, ulong contig, bool final, ulong lastGap, ulong nextGap, out bool forceNew)
    {
        contig = Math.Min(contig, 1UL << 31);
        lastGap = Math.Min(lastGap, 1UL << 31);
        nextGap = Math.Min(nextGap, 1UL << 31);
        ulong costList = 0, costBitmap = 0, costBitmapRestart = 0, costRange = 8;
        switch (current)
        {
            case SerialList:
                costBitmapRestart = costBitmap = 8 + 64;
                break;
            case SerialBitmap:
                costList = 8;
                costBitmapRestart = 8 + 64;
                break;
            default:
                costBitmapRestart = costBitmap = 8 + 64;
                costList = 8;
                break;
        }

        costList += (64 * contig) + (final ? 0UL : 8 + 64);
        costRange += (2 * 64) + (final ? 0UL : 8 + 64);
        costBitmap += lastGap + contig + (final ? 0UL : Math.Min(nextGap, 8UL + 64));
        costBitmapRestart += contig + (final ? 0UL : Math.Min(nextGap, 8UL + 64));
        costList = (costList + 7) / 8;
        costBitmap = (costBitmap + 7) / 8;
        costBitmapRestart = (costBitmapRestart + 7) / 8;
        costRange = (costRange + 7) / 8;

        forceNew = false;
        var state = SerialBitmap;
        var cost = costBitmap;
        if (costRange < cost)
        {
            state = SerialRange;
            cost = costRange;
        }

        if (costList < cost)
        {
            state = SerialList;
            cost = costList;
        }

        if (costBitmapRestart < cost)
        {
            state = SerialBitmap;
            forceNew = true;
        }

        return state;
    }

    private static void SetBits(List<ulong> words, ulong from, ulong to)
    {
        var needed = (int)(to / 64) + 1;
        while (words.Count < needed)
        {
            words.Add(0);
        }

        for (var bit = from; bit <= to; bit++)
        {
            words[(int)(bit / 64)] |= 1UL << (int)(bit % 64);
        }
    }

    /// <summary>The bitmap as an unsigned big-endian magnitude (bit i is 2^i).</summary>
    private static byte[] BitmapBytes(List<ulong> words)
    {
        var bytes = new byte[words.Count * 8];
        for (var i = 0; i < words.Count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(bytes.Length - ((i + 1) * 8)), words[i]);
        }

        return bytes;
    }

    private static void ParseCertificateSection(ReadOnlyMemory<byte> data, SshKrlBuilder builder)
    {
        var reader = new SshReader(data.Span);
        var (caOffset, caLength) = reader.ReadStringRange("CA key");
        var caKey = data.Slice(caOffset, caLength);
        if (!caKey.IsEmpty)
        {
            // The key must parse, as OpenSSH's sshkey_from_blob requires; it is kept as its blob.
            _ = SshPublicKey.ParseBlob(caKey.ToArray());
        }

        _ = reader.ReadString("reserved");
        while (!reader.IsAtEnd)
        {
            var type = reader.ReadByte("certificate subsection type");
            var (offset, length) = reader.ReadStringRange("certificate subsection");
            var sub = new SshReader(data.Span.Slice(offset, length));
            switch (type)
            {
                case SerialList:
                    while (!sub.IsAtEnd)
                    {
                        var serial = sub.ReadUInt64("serial");
                        Revoke(builder, caKey, serial, serial);
                    }

                    break;
                case SerialRange:
                    var lo = sub.ReadUInt64("serial_min");
                    var hi = sub.ReadUInt64("serial_max");
                    Revoke(builder, caKey, lo, hi);
                    break;
                case SerialBitmap:
                    var start = sub.ReadUInt64("serial_offset");
                    var magnitude = sub.ReadPositiveMpint("bitmap");
                    if (magnitude.Length > MaxBitmapBits / 8)
                    {
                        ThrowHelper.Format("bitmap", $"{magnitude.Length} bytes; OpenSSH reads at most {MaxBitmapBits / 8}");
                    }

                    ParseBitmap(builder, caKey, start, magnitude);
                    break;
                case KeyIdList:
                    while (!sub.IsAtEnd)
                    {
                        var id = sub.ReadString("key id");
                        if (id.Contains((byte)0))
                        {
                            ThrowHelper.Format("key id", "contains NUL");
                        }

                        builder.AddKeyIdBytes(caKey, id.ToArray());
                    }

                    break;
                case CertificateExtension:
                    ParseExtension(data.Span.Slice(offset, length), "certificate section extension");
                    sub = default;
                    break;
                default:
                    ThrowHelper.Format("certificate subsection type", $"unknown subsection type 0x{type:x2}");
                    break;
            }

            sub.EnsureAtEnd("certificate subsection");
        }
    }

    private static void ParseBitmap(SshKrlBuilder builder, ReadOnlyMemory<byte> caKey, ulong start, ReadOnlySpan<byte> magnitude)
    {
        // Bit i of the big-endian integer (from the least significant) revokes start + i; runs become ranges.
        var bits = magnitude.Length * 8;
        long runStart = -1;
        for (var i = 0; i <= bits; i++)
        {
            var set = i < bits && (magnitude[magnitude.Length - 1 - (i / 8)] & (1 << (i % 8))) != 0;
            if (set && runStart < 0)
            {
                runStart = i;
            }
            else if (!set && runStart >= 0)
            {
                var lo = start + (ulong)runStart;
                var hi = start + (ulong)(i - 1);
                if (lo < start || hi < lo)
                {
                    ThrowHelper.Format("bitmap", "wraps past the largest serial");
                }

                Revoke(builder, caKey, lo, hi);
                runStart = -1;
            }
        }
    }

    private static void Revoke(SshKrlBuilder builder, ReadOnlyMemory<byte> caKey, ulong lo, ulong hi)
    {
        if (lo == 0 || lo > hi)
        {
            ThrowHelper.Format("serial", $"{lo}..{hi}: serial 0 and reversed ranges are refused, as OpenSSH refuses them");
        }

        builder.RevokeSerials(caKey, lo, hi);
    }

    private static void ParseBlobs(ReadOnlySpan<byte> data, string field, int exactLength, Action<byte[]> add)
    {
        var reader = new SshReader(data);
        while (!reader.IsAtEnd)
        {
            var blob = reader.ReadString(field);
            if (exactLength != 0 && blob.Length != exactLength)
            {
                ThrowHelper.Format(field, $"{blob.Length} bytes, not {exactLength}");
            }

            add(blob.ToArray());
        }
    }

    private static void ParseExtension(ReadOnlySpan<byte> data, string field)
    {
        var reader = new SshReader(data);
        var name = reader.ReadString(field + " name");
        var critical = reader.ReadBoolean(field + " critical");
        _ = reader.ReadString(field + " body");
        reader.EnsureAtEnd(field);
        if (critical)
        {
            ThrowHelper.Format(field, $"critical extension '{System.Text.Encoding.UTF8.GetString(name)}' is not supported");
        }
    }
}
