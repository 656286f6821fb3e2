using System.Buffers.Binary;
using System.Net.Sockets;
using SshHsmCa.Ssh;

namespace SshHsmCa.Cli;

/// <summary>
/// The ssh-agent protocol (RFC 9987 and PROTOCOL.agent) on <c>SSH_AUTH_SOCK</c>: list, add an
/// Ed25519 key with its certificate under a lifetime, remove. Frames are bounded at 256 KiB like
/// OpenSSH's; every reply other than SUCCESS to an add or remove is an error that says so.
/// </summary>
internal sealed class SshAgentClient : IDisposable
{
    private const byte Failure = 5;
    private const byte Success = 6;
    private const byte RequestIdentities = 11;
    private const byte IdentitiesAnswer = 12;
    private const byte RemoveIdentity = 18;
    private const byte AddIdConstrained = 25;
    private const byte ConstrainLifetime = 1;
    private const int MaxFrame = 256 * 1024;
    private readonly Socket _socket;

    private SshAgentClient(Socket socket) => _socket = socket;

    /// <summary>One identity held by the agent.</summary>
    internal sealed record Identity(byte[] Blob, string Comment);

    /// <summary>Connects to <paramref name="path"/> (default <c>SSH_AUTH_SOCK</c>).</summary>
    public static SshAgentClient Connect(string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable("SSH_AUTH_SOCK");
        if (string.IsNullOrEmpty(path))
        {
            throw new IOException("no ssh-agent: SSH_AUTH_SOCK is not set (start one with: eval \"$(ssh-agent)\")");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot reach ssh-agent at {path}: {e.Message}", e);
        }

        socket.ReceiveTimeout = 10_000;
        socket.SendTimeout = 10_000;
        return new SshAgentClient(socket);
    }

    /// <summary>The identities the agent holds.</summary>
    public IReadOnlyList<Identity> List()
    {
        var reply = Exchange([RequestIdentities]);
        if (reply.Length == 0 || reply[0] != IdentitiesAnswer)
        {
            throw new IOException($"ssh-agent answered {(reply.Length == 0 ? "nothing" : reply[0])} to a list request");
        }

        var reader = new SshReader(reply.AsSpan(1));
        var count = reader.ReadUInt32("agent.nkeys");
        if (count > 4096)
        {
            throw new IOException($"ssh-agent reports {count} identities (more than 4096)");
        }

        var identities = new List<Identity>((int)count);
        for (var i = 0; i < count; i++)
        {
            var blob = reader.ReadString("agent.key_blob").ToArray();
            var comment = System.Text.Encoding.UTF8.GetString(reader.ReadString("agent.comment"));
            identities.Add(new Identity(blob, comment));
        }

        return identities;
    }

    /// <summary>
    /// Adds an Ed25519 key, then its certificate, both with <paramref name="lifetimeSeconds"/>
    /// (as <c>ssh-add -t</c> does: two identities with the same constraint).
    /// </summary>
    /// <exception cref="AgentRefusedException">The agent refused (with <paramref name="destinationConstraint"/>: most likely that constraint).</exception>
    /// <remarks>
    /// With a destination constraint only the certificate is added (with the private key): ssh before
    /// OpenSSH 10.3 (bz3752) signs for a certificate from the agent with the separate plain key when
    /// it finds one, and a restricted agent refuses that request, so the pair would not log in.
    /// </remarks>
    public void AddEd25519(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> certificateBlob, string comment, uint lifetimeSeconds, ReadOnlySpan<byte> destinationConstraint = default)
    {
        var what = destinationConstraint.IsEmpty ? "lifetime" : "lifetime and destination (restrict-destination-v00@openssh.com)";
        Span<byte> secret = stackalloc byte[64];
        seed.CopyTo(secret);
        publicKey.CopyTo(secret[32..]);
        try
        {
            var plain = new SshWriter(256);
            plain.WriteByte(AddIdConstrained);
            plain.WriteString("ssh-ed25519");
            plain.WriteString(publicKey);
            plain.WriteString(secret);
            plain.WriteString(comment);
            plain.WriteByte(ConstrainLifetime);
            plain.WriteUInt32(lifetimeSeconds);
            if (destinationConstraint.IsEmpty)
            {
                ExpectSuccess(plain, "adding the key", what);
            }

            var cert = new SshWriter(1024);
            cert.WriteByte(AddIdConstrained);
            cert.WriteString("ssh-ed25519-cert-v01@openssh.com");
            cert.WriteString(certificateBlob);
            cert.WriteString(publicKey);
            cert.WriteString(secret);
            cert.WriteString(comment);
            cert.WriteByte(ConstrainLifetime);
            cert.WriteUInt32(lifetimeSeconds);
            cert.WriteRaw(destinationConstraint);
            ExpectSuccess(cert, "adding the certificate", what);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Removes one identity by its blob; false when the agent did not hold it.</summary>
    public bool Remove(ReadOnlySpan<byte> blob)
    {
        var request = new SshWriter(blob.Length + 16);
        request.WriteByte(RemoveIdentity);
        request.WriteString(blob);
        var reply = Exchange(request.WrittenSpan);
        return reply.Length == 1 && reply[0] == Success;
    }

    private void ExpectSuccess(SshWriter request, string what, string constraints)
    {
        var reply = Exchange(request.WrittenSpan);
        if (reply.Length != 1 || reply[0] != Success)
        {
            throw reply.Length == 1 && reply[0] == Failure
                ? new AgentRefusedException($"ssh-agent refused {what} (does it support {constraints} constraints?)")
                : new IOException($"ssh-agent gave an unexpected answer to {what}");
        }
    }

    private byte[] Exchange(ReadOnlySpan<byte> message)
    {
        var frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)message.Length);
        message.CopyTo(frame.AsSpan(4));
        _socket.Send(frame);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(frame);
        var header = ReceiveExactly(4);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length is 0 or > MaxFrame)
        {
            throw new IOException($"ssh-agent sent a frame of {length} bytes");
        }

        return ReceiveExactly((int)length);
    }

    private byte[] ReceiveExactly(int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = _socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("ssh-agent closed the connection");
            }

            read += n;
        }

        return buffer;
    }

    public void Dispose() => _socket.Dispose();
}
