using static SshHsmCa.Ssh.Krl.KrlWire;

namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// Writes KRLs as OpenSSH's krl.c (ssh_krl_to_blob) does, so that the bytes equal ssh-keygen -k's
/// for the same revocations, except that a serial bitmap never exceeds
/// <see cref="SshKrl.MaxBitmapBits"/> (what OpenSSH reads back).
/// </summary>
internal static class KrlWriter
{
    /// <summary>The KRL's bytes: header, certificate sections, explicit keys, SHA-1, SHA-256.</summary>
    public static byte[] Encode(SshKrl krl)
    {
        var writer = new SshWriter(256);
        writer.WriteUInt64(Magic);
        writer.WriteUInt32(FormatVersion);
        writer.WriteUInt64(krl.Version);
        writer.WriteUInt64(krl.GeneratedDate);
        writer.WriteUInt64(0);
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        writer.WriteString(krl.Comment);
        foreach (var section in krl.Certificates)
        {
            writer.WriteByte(SectionCertificates);
            using (writer.PushString())
            {
                WriteCertificateSection(writer, section);
            }
        }

        WriteBlobSection(writer, SectionExplicitKey, krl.ExplicitKeys);
        WriteBlobSection(writer, SectionFingerprintSha1, krl.Sha1Fingerprints);
        WriteBlobSection(writer, SectionFingerprintSha256, krl.Sha256Fingerprints);
        return writer.ToArray();
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
            if (state == SerialBitmap && next == SerialBitmap && !forceNew && range.Hi - bitmapStart >= SshKrl.MaxBitmapBits)
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
}
