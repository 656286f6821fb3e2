using System.Net.Sockets;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>The journald native protocol, received on a datagram socket the test binds in journald's place.</summary>
public sealed class JournalAuditEventsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-journal-").FullName;

    [Fact]
    public void SendsStructuredFieldsAndLengthPrefixesMultiLineValues()
    {
        var path = Path.Combine(_dir, "journal.sock");
        using var journald = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journald.Bind(new UnixDomainSocketEndPoint(path));
        using var events = new JournalAuditEvents(path);
        events.Send(6, "issued serial 42", [("CERT_SERIAL", "42"), ("CERT_PRINCIPALS", "alice,admin"), ("REASON", "line one\nline two")]);

        var buffer = new byte[65536];
        var fields = JournalFields.Parse(buffer.AsSpan(0, journald.Receive(buffer)));
        Assert.Equal("issued serial 42", fields["MESSAGE"]);
        Assert.Equal("6", fields["PRIORITY"]);
        Assert.Equal("ssh-hsm-cad", fields["SYSLOG_IDENTIFIER"]);
        Assert.Equal("42", fields["CERT_SERIAL"]);
        Assert.Equal("alice,admin", fields["CERT_PRINCIPALS"]);
        Assert.Equal("line one\nline two", fields["REASON"]);
        Assert.Equal(0, events.Dropped);
    }

    [Fact]
    public void AMissingJournalDropsTheEventAndNeverThrows()
    {
        using var events = new JournalAuditEvents(Path.Combine(_dir, "nobody-listens.sock"));
        events.Send(6, "x", []);
        Assert.Equal(1, events.Dropped);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
