namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// The value of the <c>source-address</c> critical option: a comma-separated list of CIDR
/// entries. sshd refuses the whole certificate when any entry is invalid (PROTOCOL.certkeys, "source-address"),
/// so every entry is checked here, before anything is signed.
/// </summary>
public sealed class SourceAddressList
{
    private SourceAddressList(IReadOnlyList<SshCidr> entries, string text)
    {
        Entries = entries;
        Text = text;
    }

    /// <summary>The entries, in order.</summary>
    public IReadOnlyList<SshCidr> Entries { get; }

    /// <summary>The list as it goes on the wire, e.g. <c>10.0.0.0/8,192.168.1.1</c>.</summary>
    public string Text { get; }

    /// <summary>Parses and validates a list.</summary>
    /// <exception cref="SshFormatException">An entry is invalid, or the list is empty.</exception>
    public static SourceAddressList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            ThrowHelper.Format(SshCriticalOptions.SourceAddress, "list is empty");
        }

        var entries = text.Split(',').Select(e => SshCidr.Parse(e, SshCriticalOptions.SourceAddress)).ToArray();
        return new SourceAddressList(entries, text);
    }

    /// <summary>Builds a list from entries.</summary>
    public static SourceAddressList Create(IEnumerable<SshCidr> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("a source-address list needs at least one entry", nameof(entries));
        }

        return new SourceAddressList(list, string.Join(',', list.Select(e => e.Text)));
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
