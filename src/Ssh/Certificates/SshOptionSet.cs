using System.Collections;

namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// The critical options or the extensions of a certificate: unique names, always in bytewise
/// order of the name (PROTOCOL.certkeys: "lexically ordered by name"; ssh-keygen sorts with
/// strcmp). Standard entries are checked for the data OpenSSH expects; a malformed one would make
/// sshd refuse the certificate.
/// </summary>
public sealed class SshOptionSet : IReadOnlyList<SshOption>
{
    private readonly SshOption[] _options;

    private SshOptionSet(SshOptionKind kind, SshOption[] sorted)
    {
        Kind = kind;
        _options = sorted;
    }

    /// <summary>No critical options.</summary>
    public static SshOptionSet NoCriticalOptions { get; } = new(SshOptionKind.Critical, []);

    /// <summary>No extensions.</summary>
    public static SshOptionSet NoExtensions { get; } = new(SshOptionKind.Extension, []);

    /// <summary>Which section this set is.</summary>
    public SshOptionKind Kind { get; }

    /// <inheritdoc />
    public int Count => _options.Length;

    /// <inheritdoc />
    public SshOption this[int index] => _options[index];

    /// <summary>
    /// Builds a set: sorts bytewise by name and checks each entry. Duplicated names are refused
    /// rather than silently merged, so a caller never loses a value it meant to set.
    /// </summary>
    /// <exception cref="ArgumentException">A duplicate name, a malformed standard entry, or a custom name without <c>@domain</c>.</exception>
    public static SshOptionSet Create(SshOptionKind kind, IEnumerable<SshOption> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sorted = options.ToArray();
        Array.Sort(sorted, static (a, b) => SshText.CompareBytewise(a.Name, b.Name));
        for (var i = 0; i < sorted.Length; i++)
        {
            var option = sorted[i];
            if (i > 0 && string.Equals(sorted[i - 1].Name, option.Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"{Section(kind)} '{option.Name}' is given twice", nameof(options));
            }

            if (!IsStandard(kind, option.Name) && !option.Name.Contains('@', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{Section(kind)} '{option.Name}' is not a standard name; custom names are name@domain", nameof(options));
            }

            try
            {
                ValidateData(kind, option.Name, option.Data.Span);
            }
            catch (SshFormatException e)
            {
                throw new ArgumentException(e.Message, nameof(options), e);
            }
        }

        return new SshOptionSet(kind, sorted);
    }

    /// <summary>True when an entry with this name is present.</summary>
    public bool Contains(string name) => Find(name) is not null;

    /// <summary>The entry with this name, or null.</summary>
    public SshOption? Find(string name) => Array.Find(_options, o => string.Equals(o.Name, name, StringComparison.Ordinal));

    /// <summary>Writes the section: <c>string( (string name ‖ string data)* )</c>.</summary>
    public void Write(SshWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using (writer.PushString())
        {
            foreach (var option in _options)
            {
                writer.WriteString(option.Name);
                writer.WriteString(option.Data.Span);
            }
        }
    }

    /// <summary>
    /// Checks a section's contents without allocating: names are text, strictly ascending
    /// bytewise (so also unique), standard entries carry the data OpenSSH expects.
    /// Unknown names are allowed here; whether to accept them is the verifier's or policy's call.
    /// </summary>
    internal static void Validate(ReadOnlySpan<byte> section, SshOptionKind kind)
    {
        // Field names are constants so that checking allocates nothing.
        var critical = kind == SshOptionKind.Critical;
        var nameField = critical ? "critical option name" : "extension name";
        var dataField = critical ? "critical option data" : "extension data";
        var reader = new SshReader(section);
        ReadOnlySpan<byte> previous = default;
        var first = true;
        while (!reader.IsAtEnd)
        {
            var name = reader.ReadTextBytes(nameField);
            var data = reader.ReadString(dataField);
            if (!first && previous.SequenceCompareTo(name) >= 0)
            {
                ThrowHelper.Format(Section(kind), $"'{SshText.Decode(name)}' is out of order or repeated (names must be unique and sorted bytewise)");
            }

            ValidateData(kind, name, data);
            previous = name;
            first = false;
        }
    }

    /// <summary>Materialises a section already checked by <see cref="Validate"/>.</summary>
    internal static SshOptionSet FromValidatedWire(ReadOnlyMemory<byte> section, SshOptionKind kind)
    {
        if (section.IsEmpty)
        {
            return kind == SshOptionKind.Critical ? NoCriticalOptions : NoExtensions;
        }

        var list = new List<SshOption>();
        var reader = new SshReader(section.Span);
        while (!reader.IsAtEnd)
        {
            var name = reader.ReadText("name");
            var (offset, length) = reader.ReadStringRange("data");
            list.Add(SshOption.FromWire(name, section.Slice(offset, length)));
        }

        return new SshOptionSet(kind, [.. list]);
    }

    private static void ValidateData(SshOptionKind kind, ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        // Compare bytes against the known names without decoding.
        if (kind == SshOptionKind.Critical)
        {
            if (Keys.SshKeyAlgorithms.IsAscii(name, SshCriticalOptions.ForceCommandName))
            {
                ValidateData(kind, SshCriticalOptions.ForceCommandName, data);
            }
            else if (Keys.SshKeyAlgorithms.IsAscii(name, SshCriticalOptions.SourceAddress))
            {
                ValidateData(kind, SshCriticalOptions.SourceAddress, data);
            }
            else if (Keys.SshKeyAlgorithms.IsAscii(name, SshCriticalOptions.VerifyRequiredName))
            {
                ValidateData(kind, SshCriticalOptions.VerifyRequiredName, data);
            }

            return;
        }

        foreach (var known in SshExtensions.StandardNames)
        {
            if (Keys.SshKeyAlgorithms.IsAscii(name, known))
            {
                ValidateData(kind, known, data);
                return;
            }
        }
    }

    private static void ValidateData(SshOptionKind kind, string name, ReadOnlySpan<byte> data)
    {
        if (kind == SshOptionKind.Critical && name is SshCriticalOptions.ForceCommandName or SshCriticalOptions.SourceAddress)
        {
            // auth-options.c: the value is a string inside the data string; anything else refuses the certificate.
            var field = name == SshCriticalOptions.SourceAddress ? "critical option source-address" : "critical option force-command";
            var reader = new SshReader(data);
            var value = reader.ReadTextBytes(field);
            reader.EnsureAtEnd(field);
            if (name == SshCriticalOptions.SourceAddress)
            {
                SourceAddressList.Parse(SshText.Decode(value));
            }

            return;
        }

        if (IsStandard(kind, name) && !data.IsEmpty)
        {
            // auth-options.c: a known flag with data is "corrupt (extra data)".
            ThrowHelper.Format($"{Section(kind)} {name}", "is a flag and must have empty data");
        }
    }

    private static bool IsStandard(SshOptionKind kind, string name) =>
        kind == SshOptionKind.Critical ? SshCriticalOptions.IsStandard(name) : SshExtensions.IsStandard(name);

    private static string Section(SshOptionKind kind) => kind == SshOptionKind.Critical ? "critical option" : "extension";

    /// <inheritdoc />
    public IEnumerator<SshOption> GetEnumerator() => ((IEnumerable<SshOption>)_options).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
