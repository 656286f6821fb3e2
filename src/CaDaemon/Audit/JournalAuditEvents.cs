using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// Audit events to journald through its native protocol (systemd.journal-fields(7)): one datagram
/// per event with structured fields (<c>CERT_SERIAL=</c>, <c>CERT_KEY_ID=</c>, <c>CERT_PRINCIPALS=</c>,
/// <c>CALLER=</c>, <c>AUTH_METHOD=</c>, <c>OUTCOME=</c>…), so <c>journalctl CERT_SERIAL=42</c> finds a
/// certificate. Values with a newline use the protocol's length-prefixed form. Sending never fails
/// a request: the audit database is the record, the journal a view of it.
/// </summary>
internal sealed class JournalAuditEvents(string socketPath) : IDisposable
{
    /// <summary>journald's native socket.</summary>
    public const string DefaultSocket = "/run/systemd/journal/socket";

    private const int MaxValue = 4096;
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _endPoint = new(socketPath);

    /// <summary>Datagrams that could not be sent (journald down or full).</summary>
    public int Dropped { get; private set; }

    /// <summary>Sends one event; <paramref name="fields"/> are upper-case journal field names.</summary>
    public void Send(int priority, string message, IEnumerable<(string Name, string Value)> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var datagram = new List<byte>(512);
        Append(datagram, "MESSAGE", message);
        Append(datagram, "PRIORITY", priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(datagram, "SYSLOG_IDENTIFIER", "ssh-hsm-cad");
        foreach (var (name, value) in fields)
        {
            Append(datagram, name, value);
        }

        try
        {
            _socket.SendTo(datagram.ToArray(), _endPoint);
        }
        catch (SocketException)
        {
            Dropped++;
        }
    }

    private static void Append(List<byte> datagram, string name, string value)
    {
        value = value.Length > MaxValue ? value[..MaxValue] : value;
        var bytes = Encoding.UTF8.GetBytes(value);
        datagram.AddRange(Encoding.ASCII.GetBytes(name));
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            // NAME\n, little-endian 64-bit length, value, \n.
            datagram.Add((byte)'\n');
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
            datagram.AddRange(length.ToArray());
            datagram.AddRange(bytes);
        }
        else
        {
            datagram.Add((byte)'=');
            datagram.AddRange(bytes);
        }

        datagram.Add((byte)'\n');
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
