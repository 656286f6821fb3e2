using System.Globalization;
using System.Net;

namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// One entry of a <c>source-address</c> list: an address with an optional prefix length, as
/// OpenSSH's addr_pton_cidr reads it (addrmatch.c), and a little stricter: IPv4 only in
/// dotted-quad form without leading zeros (inet_aton would read <c>010</c> as octal).
/// </summary>
public readonly struct SshCidr : IEquatable<SshCidr>
{
    // addrmatch.c: INET6_ADDRSTRLEN + 3.
    private const int MaxEntryLength = 46 + 3;
    private const string ValidChars = "0123456789abcdefABCDEF.:/";

    private readonly byte[] _address;

    private SshCidr(byte[] address, int prefixLength, string text)
    {
        _address = address;
        PrefixLength = prefixLength;
        Text = text;
    }

    /// <summary>The network address bytes (4 or 16).</summary>
    public ReadOnlySpan<byte> Address => _address;

    /// <summary>True for IPv6.</summary>
    public bool IsIPv6 => _address.Length == 16;

    /// <summary>The prefix length (32 or 128 when the entry had none).</summary>
    public int PrefixLength { get; }

    /// <summary>The entry as written.</summary>
    public string Text { get; }

    /// <summary>Parses one entry, e.g. <c>10.0.0.0/8</c>, <c>192.168.1.1</c> or <c>::1/128</c>.</summary>
    /// <exception cref="SshFormatException">The entry is not an address or network OpenSSH accepts.</exception>
    public static SshCidr Parse(string entry, string field = "source-address")
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Length is 0 or > MaxEntryLength)
        {
            ThrowHelper.Format(field, $"entry '{Trim(entry)}' is empty or longer than {MaxEntryLength} characters");
        }

        foreach (var c in entry)
        {
            if (!ValidChars.Contains(c, StringComparison.Ordinal))
            {
                ThrowHelper.Format(field, $"entry '{Trim(entry)}' contains the character '{c}'");
            }
        }

        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? entry : entry[..slash];
        var isV4 = !addressText.Contains(':', StringComparison.Ordinal);
        if (isV4 && !IsDottedQuad(addressText))
        {
            ThrowHelper.Format(field, $"'{addressText}' is not a dotted-quad IPv4 address");
        }

        if (!IPAddress.TryParse(addressText, out var address) || address.GetAddressBytes().Length != (isV4 ? 4 : 16))
        {
            ThrowHelper.Format(field, $"'{addressText}' is not an IP address");
        }

        var bytes = address.GetAddressBytes();
        var maxPrefix = bytes.Length * 8;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = entry[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit)
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                ThrowHelper.Format(field, $"prefix length '{prefixText}' in '{entry}' is not 0..{maxPrefix}");
            }
        }

        // addrmatch.c addr_host_is_all0s: a network with host bits set is refused.
        if (!HostBitsZero(bytes, prefix))
        {
            ThrowHelper.Format(field, $"'{entry}' has host bits set beyond /{prefix}");
        }

        return new SshCidr(bytes, prefix, entry);
    }

    /// <summary>True when every address of <paramref name="inner"/> lies inside this network.</summary>
    public bool Contains(SshCidr inner) =>
        inner.IsIPv6 == IsIPv6 && inner.PrefixLength >= PrefixLength && PrefixEquals(_address, inner._address, PrefixLength);

    /// <summary>True when <paramref name="address"/> lies inside this network.</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        return bytes.Length == _address.Length && PrefixEquals(_address, bytes, PrefixLength);
    }

    private static bool PrefixEquals(byte[] a, byte[] b, int prefix)
    {
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HostBitsZero(byte[] bytes, int prefix)
    {
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDottedQuad(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p =>
            p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0')
            && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    private static string Trim(string text) => text.Length > 60 ? text[..60] + "…" : text;

    /// <inheritdoc />
    public bool Equals(SshCidr other) => PrefixLength == other.PrefixLength && Address.SequenceEqual(other.Address);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SshCidr other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(PrefixLength, _address.Length);

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Equality.</summary>
    public static bool operator ==(SshCidr left, SshCidr right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(SshCidr left, SshCidr right) => !left.Equals(right);
}
