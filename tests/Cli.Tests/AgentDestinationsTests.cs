using System.Buffers.Binary;
using System.Net.Sockets;
using SshHsmCa.Ssh.Agent;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Tests;

/// <summary>
/// Issue 30: what login does with an agent that refuses the destination constraint (OpenSSH's
/// ssh-agent before 8.9, or another agent). The agent here is a stand-in on a Unix socket that
/// answers SSH_AGENT_FAILURE to any add carrying a constraint extension and records the rest;
/// OpenSSH's own agent is judged end to end in Interop.Tests (AgentDestinationTests).
/// </summary>
public sealed class AgentDestinationsTests : IDisposable
{
    private static readonly SshPublicKey HostCa = Ed25519PublicKey.Create([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
    private static readonly IReadOnlyList<(string From, string To)> Hops = [("", "bastion.example"), ("bastion.example", "db1.internal")];
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-agent-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnAgentThatRefusesTheConstraintGetsNothingUnlessPolicyAllowsAnUnrestrictedKey()
    {
        using var agent = new RefusingAgent(Path.Combine(_dir, "agent.sock"));
        var warnings = new StringWriter();
        using (var client = SshAgentClient.Connect(agent.Path))
        {
            var refused = Assert.Throws<IOException>(() => AgentDestinations.Add(h => Add(client, h), Hops, allowUnrestricted: false, warnings));
            Assert.Contains("this ssh-agent cannot enforce it", refused.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was added", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, agent.Added);
        Assert.Equal(1, agent.Refused);
        Assert.Empty(warnings.ToString());

        using (var client = SshAgentClient.Connect(agent.Path))
        {
            Assert.Empty(AgentDestinations.Add(h => Add(client, h), Hops, allowUnrestricted: true, warnings));
        }

        Assert.Equal(2, agent.Added);
        Assert.Contains("WITHOUT destination restriction", warnings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithTheConstraintOnlyTheCertificateIsAddedCarryingIt()
    {
        using var agent = new RefusingAgent(Path.Combine(_dir, "agent.sock"), refuse: false);
        using (var client = SshAgentClient.Connect(agent.Path))
        {
            Assert.Equal(Hops, AgentDestinations.Add(h => Add(client, h), Hops, allowUnrestricted: false, TextWriter.Null));
        }

        // One add (the certificate, not the plain key: ssh before 10.3 would sign with the plain
        // key, which a restricted agent refuses), and its constraint parses back to the hops.
        var add = Assert.Single(agent.Messages);
        // Found by its name, not by the first 0xff byte: the key material before it is random and
        // held a 0xff now and then (a CI run failed so). The extension is 0xff, string name, content.
        var name = add.AsSpan().IndexOf("restrict-destination-v00@openssh.com"u8);
        Assert.True(name >= 5, "no destination constraint in the add");
        var extension = add.AsSpan(name - 5);
        Assert.Equal(0xff, extension[0]);
        var parsed = DestinationConstraint.Parse(extension);
        Assert.Equal(Hops, parsed.Select(h => (h.FromHost, h.ToHost)));
        Assert.All(parsed, h => Assert.Equal([(HostCa, true)], h.ToKeys));
    }

    private static void Add(SshAgentClient client, IReadOnlyList<(string From, string To)> hops)
    {
        using var key = Ed25519KeyPair.Generate();
        client.AddEd25519(key.Seed, key.PublicKeyBytes, [0, 0, 0, 1, 0x41], "ssh-hsm-ca:test", 60, hops.Count > 0 ? DestinationConstraint.Encode(hops, [HostCa]) : default);
    }

    /// <summary>An agent stand-in: refuses adds with a constraint extension (when told to), records the others.</summary>
    private sealed class RefusingAgent : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly Thread _thread;
        private readonly bool _refuse;

        public RefusingAgent(string path, bool refuse = true)
        {
            Path = path;
            _refuse = refuse;
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(4);
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        public string Path { get; }

        public int Added { get; private set; }

        public int Refused { get; private set; }

        public List<byte[]> Messages { get; } = [];

        public void Dispose()
        {
            _listener.Dispose();
            _thread.Join(2000);
        }

        private void Serve()
        {
            try
            {
                while (true)
                {
                    using var connection = _listener.Accept();
                    while (Read(connection) is { } message)
                    {
                        var constrained = message.AsSpan().IndexOf("restrict-destination-v00@openssh.com"u8) >= 0;
                        var refuse = _refuse && constrained;
                        if (refuse)
                        {
                            Refused++;
                        }
                        else
                        {
                            Added++;
                            Messages.Add(message);
                        }

                        connection.Send([0, 0, 0, 1, refuse ? (byte)5 : (byte)6]);
                    }
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private static byte[]? Read(Socket connection)
        {
            var header = new byte[4];
            if (!ReadExactly(connection, header))
            {
                return null;
            }

            var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
            return ReadExactly(connection, body) ? body : null;
        }

        private static bool ReadExactly(Socket connection, byte[] buffer)
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = connection.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }

            return true;
        }
    }
}
