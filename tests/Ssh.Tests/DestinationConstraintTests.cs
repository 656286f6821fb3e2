using SshHsmCa.Ssh.Agent;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Issue 30: restrict-destination-v00@openssh.com byte for byte against PROTOCOL.agent §2 and
/// ssh-agent.c's parser (the first hop's "from" empty, every "to" with a host and a key), and the
/// parser's refusals. OpenSSH's ssh-agent accepts what Encode writes in Interop.Tests.
/// </summary>
public sealed class DestinationConstraintTests
{
    private static readonly SshPublicKey Ca = Ed25519PublicKey.Create([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    [Fact]
    public void TheEncodingIsTheDocumentedLayout()
    {
        var encoded = DestinationConstraint.Encode([("", "a.test")], [Ca]);

        var to = new SshWriter();
        to.WriteString(""u8);          // to_username
        to.WriteString("a.test"u8);    // to_hostname
        to.WriteString(""u8);          // reserved
        to.WriteString(Ca.Blob.Span);  // keyblob
        to.WriteBoolean(true);         // is_ca
        var from = new SshWriter();
        from.WriteString(""u8);        // from_username (must be empty)
        from.WriteString(""u8);        // from_hostname: the agent's own machine
        from.WriteString(""u8);        // reserved; no keys
        var constraint = new SshWriter();
        constraint.WriteString(from.WrittenSpan);
        constraint.WriteString(to.WrittenSpan);
        constraint.WriteString(""u8);  // reserved
        var constraints = new SshWriter();
        constraints.WriteString(constraint.WrittenSpan);
        var expected = new SshWriter();
        expected.WriteByte(0xff);      // SSH_AGENT_CONSTRAIN_EXTENSION
        expected.WriteString("restrict-destination-v00@openssh.com"u8);
        expected.WriteString(constraints.WrittenSpan);

        Assert.Equal(Convert.ToHexString(expected.WrittenSpan), Convert.ToHexString(encoded));
    }

    [Fact]
    public void WhatIsEncodedParsesBack()
    {
        var hops = DestinationConstraint.Parse(DestinationConstraint.Encode([("", "bastion.example"), ("bastion.example", "db1.internal")], [Ca]));
        Assert.Equal(2, hops.Count);
        Assert.Equal(("", 0, "bastion.example"), (hops[0].FromHost, hops[0].FromKeys.Count, hops[0].ToHost));
        Assert.Equal(("bastion.example", "db1.internal"), (hops[1].FromHost, hops[1].ToHost));
        Assert.All(hops, h => Assert.Equal([(Ca, true)], h.ToKeys));
        Assert.Equal([(Ca, true)], hops[1].FromKeys);
    }

    [Theory]
    [InlineData("from-user", "from")]
    [InlineData("from-host-without-keys", "from")]
    [InlineData("to-without-keys", "to")]
    [InlineData("to-without-host", "to")]
    [InlineData("reserved", "reserved")]
    [InlineData("hop-reserved", "from.reserved")]
    [InlineData("trailing", "destination constraint")]
    public void WhatSshAgentRefusesIsRefused(string mutation, string field)
    {
        byte[] Hop(string user, string host, bool key, byte[]? reserved = null)
        {
            var w = new SshWriter();
            w.WriteString(user);
            w.WriteString(host);
            w.WriteString(reserved ?? []);
            if (key)
            {
                w.WriteString(Ca.Blob.Span);
                w.WriteBoolean(true);
            }

            return w.ToArray();
        }

        var (from, to, reservedField) = mutation switch
        {
            "from-user" => (Hop("root", "", false), Hop("", "a.test", true), Array.Empty<byte>()),
            "from-host-without-keys" => (Hop("", "a.test", false), Hop("", "b.test", true), []),
            "to-without-keys" => (Hop("", "", false), Hop("", "a.test", false), []),
            "to-without-host" => (Hop("", "", false), Hop("", "", true), []),
            "reserved" => (Hop("", "", false), Hop("", "a.test", true), [1]),
            "hop-reserved" => (Hop("", "", false, [1]), Hop("", "a.test", true), []),
            _ => (Hop("", "", false), Hop("", "a.test", true), []),
        };
        var constraint = new SshWriter();
        constraint.WriteString(from);
        constraint.WriteString(to);
        constraint.WriteString(reservedField);
        var constraints = new SshWriter();
        constraints.WriteString(constraint.WrittenSpan);
        var extension = new SshWriter();
        extension.WriteByte(0xff);
        extension.WriteString(DestinationConstraint.Name);
        extension.WriteString(constraints.WrittenSpan);
        byte[] bytes = mutation == "trailing" ? [.. extension.WrittenSpan, 0] : extension.ToArray();

        var e = Assert.Throws<SshFormatException>(() => DestinationConstraint.Parse(bytes));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void EncodeRefusesWhatTheAgentWouldRefuse()
    {
        Assert.Throws<ArgumentException>(() => DestinationConstraint.Encode([], [Ca]));
        Assert.Throws<ArgumentException>(() => DestinationConstraint.Encode([("", "a.test")], []));
        Assert.Throws<ArgumentException>(() => DestinationConstraint.Encode([("", "")], [Ca]));
        Assert.Throws<ArgumentException>(() => DestinationConstraint.Encode([.. Enumerable.Range(0, 1025).Select(i => ("", $"h{i}.test"))], [Ca]));
    }
}
