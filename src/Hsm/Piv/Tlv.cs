namespace SshHsmCa.Hsm.Piv;

/// <summary>BER-TLV as PIV uses it: one- or two-byte tags (first byte 0x5F/0x7F takes two), definite lengths up to 0xFFFF.</summary>
public static class Tlv
{
    /// <summary>Encodes one TLV.</summary>
    public static byte[] Encode(int tag, ReadOnlySpan<byte> value)
    {
        var tagBytes = tag > 0xFF ? new[] { (byte)(tag >> 8), (byte)tag } : new[] { (byte)tag };
        byte[] length = value.Length switch
        {
            < 0x80 => [(byte)value.Length],
            <= 0xFF => [0x81, (byte)value.Length],
            <= 0xFFFF => [0x82, (byte)(value.Length >> 8), (byte)value.Length],
            _ => throw new ArgumentOutOfRangeException(nameof(value), "a TLV value is at most 65535 bytes"),
        };
        var result = new byte[tagBytes.Length + length.Length + value.Length];
        tagBytes.CopyTo(result, 0);
        length.CopyTo(result, tagBytes.Length);
        value.CopyTo(result.AsSpan(tagBytes.Length + length.Length));
        return result;
    }

    /// <summary>Concatenates encoded TLVs.</summary>
    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>
    /// Parses a sequence of TLVs strictly: every byte belongs to one, no length runs past the end.
    /// </summary>
    /// <exception cref="FormatException">Malformed input.</exception>
    public static IReadOnlyList<(int Tag, byte[] Value)> Parse(ReadOnlySpan<byte> data)
    {
        var result = new List<(int, byte[])>();
        var i = 0;
        while (i < data.Length)
        {
            int tag = data[i++];
            if ((tag == 0x5F || tag == 0x7F) && i < data.Length)
            {
                tag = (tag << 8) | data[i++];
            }

            if (i >= data.Length)
            {
                throw new FormatException($"TLV {tag:X2}: no length");
            }

            int length = data[i++];
            if (length == 0x81 || length == 0x82)
            {
                var count = length - 0x80;
                if (i + count > data.Length)
                {
                    throw new FormatException($"TLV {tag:X2}: truncated length");
                }

                length = count == 1 ? data[i] : (data[i] << 8) | data[i + 1];
                i += count;
            }
            else if (length > 0x7F)
            {
                throw new FormatException($"TLV {tag:X2}: unsupported length form 0x{length:X2}");
            }

            if (i + length > data.Length)
            {
                throw new FormatException($"TLV {tag:X2}: length {length} runs past the end");
            }

            result.Add((tag, data.Slice(i, length).ToArray()));
            i += length;
        }

        return result;
    }

    /// <summary>The value of the first TLV with <paramref name="tag"/>, or null.</summary>
    public static byte[]? Find(IReadOnlyList<(int Tag, byte[] Value)> tlvs, int tag)
    {
        ArgumentNullException.ThrowIfNull(tlvs);
        foreach (var (t, v) in tlvs)
        {
            if (t == tag)
            {
                return v;
            }
        }

        return null;
    }
}
