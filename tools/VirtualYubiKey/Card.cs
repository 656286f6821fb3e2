namespace SshHsmCa.VirtualCards;

/// <summary>BER-TLV helpers of the card side (deliberately separate from the backend's parser).</summary>
public static class Card
{
    /// <summary>Encodes a TLV (tags above 0xFF take two bytes).</summary>
    public static byte[] Tlv(int tag, ReadOnlySpan<byte> value)
    {
        var output = new List<byte>();
        if (tag > 0xFF)
        {
            output.Add((byte)(tag >> 8));
        }

        output.Add((byte)tag);
        if (value.Length < 0x80)
        {
            output.Add((byte)value.Length);
        }
        else if (value.Length <= 0xFF)
        {
            output.Add(0x81);
            output.Add((byte)value.Length);
        }
        else
        {
            output.Add(0x82);
            output.Add((byte)(value.Length >> 8));
            output.Add((byte)value.Length);
        }

        output.AddRange(value.ToArray());
        return [.. output];
    }

    /// <summary>Parses TLVs; null when malformed.</summary>
    public static IReadOnlyDictionary<int, byte[]>? Parse(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<int, byte[]>();
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
                return null;
            }

            int length = data[i++];
            if (length is 0x81 or 0x82)
            {
                var count = length - 0x80;
                if (i + count > data.Length)
                {
                    return null;
                }

                length = count == 1 ? data[i] : (data[i] << 8) | data[i + 1];
                i += count;
            }
            else if (length > 0x80)
            {
                return null;
            }

            if (i + length > data.Length)
            {
                return null;
            }

            result.TryAdd(tag, data.Slice(i, length).ToArray());
            i += length;
        }

        return result;
    }
}
