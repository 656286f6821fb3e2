using SshHsmCa.Ssh.Keys;
using static SshHsmCa.Ssh.Krl.KrlWire;

namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// Reads KRLs as strictly as OpenSSH's krl.c (ssh_krl_from_blob) and no more leniently: unknown
/// or signature sections, critical extensions, trailing bytes, serial 0, reversed ranges and
/// bitmaps longer than OpenSSH reads fail; everything is bounded by the input's length.
/// </summary>
internal static class KrlReader
{
    /// <summary>Parses a KRL strictly: unknown or signature sections, critical extensions, trailing bytes, serial 0 and reversed ranges fail.</summary>
    /// <exception cref="SshFormatException">The bytes are not a KRL OpenSSH would accept.</exception>
    public static SshKrl Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > SshKrl.MaxLength)
        {
            ThrowHelper.Format("KRL", $"{bytes.Length} bytes exceeds {SshKrl.MaxLength}");
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
                    if (magnitude.Length > SshKrl.MaxBitmapBits / 8)
                    {
                        ThrowHelper.Format("bitmap", $"{magnitude.Length} bytes; OpenSSH reads at most {SshKrl.MaxBitmapBits / 8}");
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
