using System.Buffers.Binary;
using System.Text;

namespace SshHsmCa.Tests.Shared;

/// <summary>Parses journald native-protocol datagrams (systemd.journal-fields).</summary>
internal static class JournalFields
{
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> datagram)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!datagram.IsEmpty)
        {
            var end = datagram.IndexOf((byte)'\n');
            var equals = datagram[..end].IndexOf((byte)'=');
            if (equals >= 0)
            {
                fields[Encoding.ASCII.GetString(datagram[..equals])] = Encoding.UTF8.GetString(datagram[(equals + 1)..end]);
                datagram = datagram[(end + 1)..];
            }
            else
            {
                var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(datagram.Slice(end + 1, 8));
                fields[Encoding.ASCII.GetString(datagram[..end])] = Encoding.UTF8.GetString(datagram.Slice(end + 9, length));
                datagram = datagram[(end + 9 + length + 1)..];
            }
        }

        return fields;
    }
}
