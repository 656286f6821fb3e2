using System.Buffers.Binary;
using System.Text;

namespace SshHsmCa.Ssh;

/// <summary>
/// Writes RFC 4251 §5 primitives into a growable buffer. Nested length-prefixed data is written
/// through <see cref="PushString"/>, whose scope patches the length when disposed, so sizes are
/// never computed twice by hand.
/// </summary>
public sealed class SshWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity in bytes.</summary>
    public SshWriter(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _buffer = capacity == 0 ? [] : new byte[capacity];
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    /// <summary>RFC 4251 <c>byte</c>.</summary>
    public void WriteByte(byte value) => Reserve(1)[0] = value;

    /// <summary>RFC 4251 <c>boolean</c> (0 or 1).</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>RFC 4251 <c>uint32</c>.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    /// <summary>RFC 4251 <c>uint64</c>.</summary>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Reserve(8), value);

    /// <summary>Raw bytes, no length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>RFC 4251 <c>string</c> of bytes.</summary>
    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        var span = Reserve(4 + bytes.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)bytes.Length);
        bytes.CopyTo(span[4..]);
    }

    /// <summary>RFC 4251 <c>string</c> holding UTF-8 text.</summary>
    public void WriteString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var count = SshText.GetByteCount(text);
        var span = Reserve(4 + count);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)count);
        Encoding.UTF8.GetBytes(text, span[4..]);
    }

    /// <summary>
    /// RFC 4251 <c>mpint</c> from an unsigned big-endian magnitude, always minimal: leading zeros
    /// stripped, one 0x00 added when the top bit is set, zero as the empty string.
    /// </summary>
    public void WriteMpint(ReadOnlySpan<byte> unsignedBigEndian)
    {
        var magnitude = unsignedBigEndian.TrimStart((byte)0);
        var pad = !magnitude.IsEmpty && (magnitude[0] & 0x80) != 0;
        var length = magnitude.Length + (pad ? 1 : 0);
        var span = Reserve(4 + length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        if (pad)
        {
            span[4] = 0;
        }

        magnitude.CopyTo(span[(pad ? 5 : 4)..]);
    }

    /// <summary>RFC 4251 <c>name-list</c>.</summary>
    public void WriteNameList(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        using (PushString())
        {
            var first = true;
            foreach (var name in names)
            {
                if (string.IsNullOrEmpty(name) || name.Any(c => c is <= ' ' or >= '\x7f' or ','))
                {
                    throw new ArgumentException($"name-list entry '{name}' is empty or not printable US-ASCII without commas", nameof(names));
                }

                if (!first)
                {
                    WriteByte((byte)',');
                }

                WriteRaw(Encoding.ASCII.GetBytes(name));
                first = false;
            }
        }
    }

    /// <summary>
    /// Starts a <c>string</c> whose contents are the writes made before the returned scope is
    /// disposed: <c>using (w.PushString()) { … }</c>.
    /// </summary>
    public LengthPrefixScope PushString()
    {
        Reserve(4);
        return new LengthPrefixScope(this, _length);
    }

    internal void PatchLength(int contentStart)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(contentStart - 4, 4), (uint)(_length - contentStart));
    }

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns them for writing.</summary>
    private Span<byte> Reserve(int count)
    {
        var needed = _length + count;
        if (needed > _buffer.Length)
        {
            Grow(needed);
        }

        var span = _buffer.AsSpan(_length, count);
        _length = needed;
        return span;
    }

    private void Grow(int needed)
    {
        var size = Math.Max(needed, Math.Max(64, _buffer.Length * 2));
        Array.Resize(ref _buffer, size);
    }

    /// <summary>The scope of a <see cref="PushString"/>: disposing it writes the length prefix.</summary>
    public readonly struct LengthPrefixScope : IDisposable
    {
        private readonly SshWriter _writer;
        private readonly int _contentStart;

        internal LengthPrefixScope(SshWriter writer, int contentStart)
        {
            _writer = writer;
            _contentStart = contentStart;
        }

        /// <summary>Writes the length of everything written since the scope started.</summary>
        public void Dispose() => _writer?.PatchLength(_contentStart);
    }
}
