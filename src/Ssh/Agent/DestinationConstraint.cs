using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Agent;

/// <summary>
/// ssh-agent's <c>restrict-destination-v00@openssh.com</c> key constraint (PROTOCOL.agent §2), as
/// ssh-agent.c parses it: <c>byte 0xff ‖ string name ‖ string constraints</c>, where the
/// constraints are a sequence of <c>string (string from_hop ‖ string to_hop ‖ string reserved)</c>
/// and a hop is <c>string user ‖ string hostname ‖ string reserved ‖ (string keyblob ‖ bool is_ca)*</c>.
/// The first hop's "from" has no user, no host and no keys; every "to" needs a host and a key.
/// </summary>
public static class DestinationConstraint
{
    /// <summary>The extension's name.</summary>
    public const string Name = "restrict-destination-v00@openssh.com";

    /// <summary>SSH_AGENT_CONSTRAIN_EXTENSION.</summary>
    public const byte ConstrainExtension = 0xff;

    /// <summary>ssh-agent's AGENT_MAX_DEST_CONSTRAINTS.</summary>
    public const int MaxConstraints = 1024;

    /// <summary>
    /// The constraint for <paramref name="hops"/> (from: empty for the user's machine), each hop's
    /// host vouched for by any of <paramref name="hostCaKeys"/> (is_ca: the host must show a
    /// certificate from one of them naming the hop's host).
    /// </summary>
    public static byte[] Encode(IReadOnlyList<(string From, string To)> hops, IReadOnlyList<SshPublicKey> hostCaKeys)
    {
        ArgumentNullException.ThrowIfNull(hops);
        ArgumentNullException.ThrowIfNull(hostCaKeys);
        if (hops.Count is 0 or > MaxConstraints || hostCaKeys.Count == 0)
        {
            throw new ArgumentException($"a destination constraint needs 1 to {MaxConstraints} hops and at least one host CA key", nameof(hops));
        }

        var constraints = new SshWriter(256 * hops.Count);
        foreach (var (from, to) in hops)
        {
            if (string.IsNullOrEmpty(to))
            {
                throw new ArgumentException("every hop needs a destination host", nameof(hops));
            }

            var constraint = new SshWriter(512);
            constraint.WriteString(Hop(from, from.Length == 0 ? [] : hostCaKeys));
            constraint.WriteString(Hop(to, hostCaKeys));
            constraint.WriteString(ReadOnlySpan<byte>.Empty);
            constraints.WriteString(constraint.WrittenSpan);
        }

        var extension = new SshWriter(constraints.Length + 64);
        extension.WriteByte(ConstrainExtension);
        extension.WriteString(Name);
        extension.WriteString(constraints.WrittenSpan);
        return extension.ToArray();
    }

    /// <summary>Parses a constraint as ssh-agent does (after the 0xff byte and the name), strictly.</summary>
    public static IReadOnlyList<DestinationHop> Parse(ReadOnlySpan<byte> extension)
    {
        var reader = new SshReader(extension);
        if (reader.ReadByte("constraint type") != ConstrainExtension || reader.ReadText("extension name") != Name)
        {
            throw new SshFormatException("extension name", $"not {Name}");
        }

        var constraints = new SshReader(reader.ReadString("constraints"));
        reader.EnsureAtEnd("destination constraint");
        var hops = new List<DestinationHop>();
        while (!constraints.IsAtEnd)
        {
            if (hops.Count == MaxConstraints)
            {
                throw new SshFormatException("constraints", $"more than {MaxConstraints}");
            }

            var constraint = new SshReader(constraints.ReadString("constraint"));
            var (fromUser, fromHost, fromKeys) = ReadHop(constraint.ReadString("from"), "from");
            var (toUser, toHost, toKeys) = ReadHop(constraint.ReadString("to"), "to");
            if (!constraint.ReadString("reserved").IsEmpty)
            {
                throw new SshFormatException("reserved", "not empty");
            }

            constraint.EnsureAtEnd("constraint");
            if (fromUser.Length != 0 || (fromHost.Length == 0) != (fromKeys.Count == 0))
            {
                throw new SshFormatException("from", "inconsistent: no user, and a host exactly when keys are given");
            }

            if (toHost.Length == 0 || toKeys.Count == 0)
            {
                throw new SshFormatException("to", "incomplete: a host and at least one key are needed");
            }

            hops.Add(new DestinationHop(fromHost, fromKeys, toUser, toHost, toKeys));
        }

        return hops;
    }

    private static byte[] Hop(string host, IReadOnlyList<SshPublicKey> keys)
    {
        var hop = new SshWriter(128 + (keys.Count * 128));
        hop.WriteString(ReadOnlySpan<byte>.Empty);
        hop.WriteString(host);
        hop.WriteString(ReadOnlySpan<byte>.Empty);
        foreach (var key in keys)
        {
            hop.WriteString(key.Blob.Span);
            hop.WriteBoolean(true);
        }

        return hop.ToArray();
    }

    private static (string User, string Host, IReadOnlyList<(SshPublicKey Key, bool IsCa)> Keys) ReadHop(ReadOnlySpan<byte> bytes, string field)
    {
        var hop = new SshReader(bytes);
        var user = hop.ReadText(field + ".user");
        var host = hop.ReadText(field + ".hostname");
        if (!hop.ReadString(field + ".reserved").IsEmpty)
        {
            throw new SshFormatException(field + ".reserved", "not empty (unsupported extensions)");
        }

        var keys = new List<(SshPublicKey, bool)>();
        while (!hop.IsAtEnd)
        {
            var key = SshPublicKey.ParseBlob(hop.ReadString(field + ".keyblob").ToArray());
            keys.Add((key, hop.ReadBoolean(field + ".is_ca")));
        }

        return (user, host, keys);
    }
}
