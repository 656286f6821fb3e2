namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// One critical option or extension: <c>string name ‖ string data</c>. A flag has empty data;
/// a value is double-wrapped, <c>string(string(value))</c>, as OpenSSH expects
/// (PROTOCOL.certkeys, "Critical options" and "Extensions").
/// </summary>
public sealed class SshOption : IEquatable<SshOption>
{
    private SshOption(string name, ReadOnlyMemory<byte> data)
    {
        Name = name;
        Data = data;
    }

    /// <summary>The option's name, e.g. <c>force-command</c> or <c>login@example.com</c>.</summary>
    public string Name { get; }

    /// <summary>The data field's contents (the inner string for a value, empty for a flag).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>True when the data is empty.</summary>
    public bool IsFlag => Data.IsEmpty;

    /// <summary>A flag option: empty data.</summary>
    public static SshOption Flag(string name) => new(CheckName(name), ReadOnlyMemory<byte>.Empty);

    /// <summary>An option with one string value, wrapped as <c>string(value)</c> inside the data.</summary>
    public static SshOption WithValue(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"the value of option '{name}' must not contain NUL", nameof(value));
        }

        var w = new SshWriter(value.Length + 4);
        w.WriteString(value);
        return new SshOption(CheckName(name), w.ToArray());
    }

    /// <summary>An option with the given data field contents (already in wire form), e.g. as stored.</summary>
    public static SshOption WithData(string name, ReadOnlyMemory<byte> data) => new(CheckName(name), data.ToArray());

    /// <summary>An option with raw data (already in wire form), as parsed.</summary>
    internal static SshOption FromWire(string name, ReadOnlyMemory<byte> data) => new(name, data);

    /// <summary>
    /// The value when the data is exactly one text string (how OpenSSH wraps values); null for a
    /// flag or for data of another shape.
    /// </summary>
    public string? GetStringValue()
    {
        if (Data.IsEmpty)
        {
            return null;
        }

        var reader = new SshReader(Data.Span);
        try
        {
            var text = reader.ReadTextBytes(Name);
            return reader.IsAtEnd ? SshText.Decode(text) : null;
        }
        catch (SshFormatException)
        {
            return null;
        }
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Any(c => c is < ' ' or '\x7f'))
        {
            throw new ArgumentException($"option name '{name}' contains a control character", nameof(name));
        }

        return name;
    }

    /// <inheritdoc />
    public bool Equals(SshOption? other) =>
        other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal) && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SshOption);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc />
    public override string ToString() => GetStringValue() is { } value ? $"{Name} {value}" : Name;
}
