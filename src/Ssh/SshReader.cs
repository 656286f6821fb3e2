using System.Buffers.Binary;
using System.Text.Unicode;

namespace SshHsmCa.Ssh;

/// <summary>
/// A strict, bounded reader of RFC 4251 §5 primitives over a span. Every read names the field it
/// reads so that a malformed input yields an <see cref="SshFormatException"/> saying which field
/// and why. Nothing is copied: strings come back as slices of the input.
/// </summary>
public ref struct SshReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/> from its first byte.</summary>
    public SshReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Offset of the next byte to read, from the start of the buffer.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool IsAtEnd => _position == _buffer.Length;

    /// <summary>RFC 4251 <c>byte</c>.</summary>
    public byte ReadByte(string field)
    {
        if (_position >= _buffer.Length)
        {
            ThrowHelper.Truncated(field, 1, 0);
        }

        return _buffer[_position++];
    }

    /// <summary>RFC 4251 <c>boolean</c>: any non-zero value is true, as the RFC says.</summary>
    public bool ReadBoolean(string field) => ReadByte(field) != 0;

    /// <summary>RFC 4251 <c>uint32</c>, big-endian.</summary>
    public uint ReadUInt32(string field)
    {
        if (Remaining < 4)
        {
            ThrowHelper.Truncated(field, 4, Remaining);
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, 4));
        _position += 4;
        return value;
    }

    /// <summary>RFC 4251 <c>uint64</c>, big-endian.</summary>
    public ulong ReadUInt64(string field)
    {
        if (Remaining < 8)
        {
            ThrowHelper.Truncated(field, 8, Remaining);
        }

        var value = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return value;
    }

    /// <summary>RFC 4251 <c>string</c>: the bytes, as a slice of the input.</summary>
    public ReadOnlySpan<byte> ReadString(string field)
    {
        var (offset, length) = ReadStringRange(field);
        return _buffer.Slice(offset, length);
    }

    /// <summary>
    /// RFC 4251 <c>string</c>, returned as its offset and length in the buffer, for callers that
    /// keep a slice of the original memory instead of a span.
    /// </summary>
    public (int Offset, int Length) ReadStringRange(string field)
    {
        var declared = ReadUInt32(field);
        if (declared > (uint)Remaining)
        {
            ThrowHelper.Format(field, $"length {declared} exceeds the {Remaining} bytes that remain");
        }

        var offset = _position;
        _position += (int)declared;
        return (offset, (int)declared);
    }

    /// <summary>
    /// A <c>string</c> that must hold text as OpenSSH reads it with sshbuf_get_cstring: no NUL
    /// byte, and (our rule) well-formed UTF-8. Returned undecoded; see <see cref="ReadText"/>.
    /// </summary>
    public ReadOnlySpan<byte> ReadTextBytes(string field)
    {
        var bytes = ReadString(field);
        ValidateText(bytes, field);
        return bytes;
    }

    /// <summary>A text <c>string</c> (see <see cref="ReadTextBytes"/>) decoded to a .NET string.</summary>
    public string ReadText(string field) => SshText.Decode(ReadTextBytes(field));

    /// <summary>
    /// RFC 4251 <c>mpint</c> that must be non-negative and minimally encoded; returns the magnitude
    /// (big-endian, no sign byte; empty for zero).
    /// </summary>
    public ReadOnlySpan<byte> ReadPositiveMpint(string field)
    {
        var raw = ReadString(field);
        return ValidateMpint(raw, field);
    }

    /// <summary>
    /// RFC 4251 <c>name-list</c>: comma-separated US-ASCII names, none empty. The list itself is
    /// returned undivided; split it with <see cref="SshText.SplitNameList"/>.
    /// </summary>
    public ReadOnlySpan<byte> ReadNameList(string field)
    {
        var bytes = ReadString(field);
        if (bytes.IsEmpty)
        {
            return bytes;
        }

        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)',')
            {
                if (i == start)
                {
                    ThrowHelper.Format(field, "name-list has an empty name");
                }

                start = i + 1;
                continue;
            }

            var b = bytes[i];
            if (b is <= 0x20 or >= 0x7f)
            {
                ThrowHelper.Format(field, $"name-list byte 0x{b:x2} at {i} is not printable US-ASCII");
            }
        }

        return bytes;
    }

    /// <summary>Fails unless every byte was read: trailing bytes are refused everywhere.</summary>
    public readonly void EnsureAtEnd(string field)
    {
        if (!IsAtEnd)
        {
            ThrowHelper.Format(field, $"{Remaining} trailing bytes");
        }
    }

    /// <summary>Validates an mpint's contents; returns the magnitude without the sign byte.</summary>
    internal static ReadOnlySpan<byte> ValidateMpint(ReadOnlySpan<byte> raw, string field)
    {
        if (raw.IsEmpty)
        {
            return raw;
        }

        if (raw.Length > SshLimits.MaxMpintLength)
        {
            ThrowHelper.Format(field, $"mpint of {raw.Length} bytes exceeds {SshLimits.MaxMpintLength}");
        }

        if ((raw[0] & 0x80) != 0)
        {
            ThrowHelper.Format(field, "mpint is negative");
        }

        if (raw[0] == 0)
        {
            // RFC 4251 §5: a leading zero byte is only there to clear the sign bit.
            if (raw.Length == 1 || (raw[1] & 0x80) == 0)
            {
                ThrowHelper.Format(field, "mpint has a redundant leading zero byte");
            }

            return raw[1..];
        }

        return raw;
    }

    internal static void ValidateText(ReadOnlySpan<byte> bytes, string field)
    {
        if (bytes.Contains((byte)0))
        {
            ThrowHelper.Format(field, "contains a NUL byte");
        }

        if (!Utf8.IsValid(bytes))
        {
            ThrowHelper.Format(field, "is not valid UTF-8");
        }
    }
}
