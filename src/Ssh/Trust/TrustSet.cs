using System.Globalization;
using System.Text;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>
/// The CA keys hosts and clients trust, as one signed document: the content of sshd's
/// <c>TrustedUserCAKeys</c> file and of ssh's <c>@cert-authority</c> lines, with each key's state
/// (next, active, retired trusted; revoked listed so that a client drops it; one active key per
/// CA on each appliance that signs). Signed out of band with SSHSIG in <see cref="Namespace"/> by
/// an active user CA key; its version only increases,
/// so an installer refuses an older set. The text form is strict and bounded:
/// <code>
/// ssh-hsm-ca trust set 1
/// version 7
/// user active ssh-ed25519 AAAA…
/// host next ecdsa-sha2-nistp256 AAAA…
/// </code>
/// </summary>
public sealed class TrustSet
{
    /// <summary>The SSHSIG namespace of trust set signatures.</summary>
    public const string Namespace = "trust@ssh-hsm-ca";

    /// <summary>The most bytes a trust set may have.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>The most keys a trust set may hold.</summary>
    public const int MaxKeys = 64;

    private const string Header = "ssh-hsm-ca trust set 1";

    /// <summary>A trust set of <paramref name="keys"/> at <paramref name="version"/>.</summary>
    public TrustSet(ulong version, IReadOnlyList<TrustedCaKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count > MaxKeys)
        {
            throw new ArgumentException($"at most {MaxKeys} keys", nameof(keys));
        }

        Version = version;
        Keys = keys;
    }

    /// <summary>The version (only increases).</summary>
    public ulong Version { get; }

    /// <summary>Every key, in the order of the document.</summary>
    public IReadOnlyList<TrustedCaKey> Keys { get; }

    /// <summary>The keys of <paramref name="ca"/> a host or client trusts (next, active, retired).</summary>
    public IReadOnlyList<SshPublicKey> Trusted(SshCertificateType ca) => [.. Keys.Where(k => k.Ca == ca && k.IsTrusted).Select(k => k.PublicKey)];

    /// <summary>The first active key of <paramref name="ca"/>, or null.</summary>
    public SshPublicKey? Active(SshCertificateType ca) => Keys.FirstOrDefault(k => k.Ca == ca && k.State == CaKeyState.Active)?.PublicKey;

    /// <summary>The active keys of <paramref name="ca"/>: one per appliance that signs (several appliances, each with its own key).</summary>
    public IReadOnlyList<SshPublicKey> Actives(SshCertificateType ca) => [.. Keys.Where(k => k.Ca == ca && k.State == CaKeyState.Active).Select(k => k.PublicKey)];

    /// <summary>The document's bytes (what is signed).</summary>
    public byte[] Encode() => Encoding.ASCII.GetBytes(With(Version, BodyOf(Keys)));

    /// <summary>The key lines of a document (what changes between versions), one per key.</summary>
    public static string BodyOf(IEnumerable<TrustedCaKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var text = new StringBuilder();
        foreach (var key in keys)
        {
            text.Append(CultureInfo.InvariantCulture, $"{CaName(key.Ca)} {StateName(key.State)} {key.PublicKey.ToOpenSshLine()}\n");
        }

        return text.ToString();
    }

    /// <summary>The document of <paramref name="body"/> at <paramref name="version"/>.</summary>
    public static string With(ulong version, string body) =>
        string.Create(CultureInfo.InvariantCulture, $"{Header}\nversion {version}\n{body}");

    /// <summary>Parses a document: the header, the version, then one key per line; nothing else.</summary>
    /// <exception cref="SshFormatException">Anything malformed, named by line.</exception>
    public static TrustSet Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength)
        {
            ThrowHelper.Format("trust set", $"{bytes.Length} bytes exceed {MaxLength}");
        }

        foreach (var b in bytes)
        {
            if (b is not ((>= 0x20 and <= 0x7e) or (byte)'\n'))
            {
                ThrowHelper.Format("trust set", "holds a byte that is not printable ASCII");
            }
        }

        var text = Encoding.ASCII.GetString(bytes);

        if (!text.EndsWith('\n'))
        {
            ThrowHelper.Format("trust set", "does not end with a newline");
        }

        var lines = text[..^1].Split('\n');
        if (lines[0] != Header)
        {
            ThrowHelper.Format("trust set line 1", $"expected '{Header}'");
        }

        if (lines.Length < 2 || !lines[1].StartsWith("version ", StringComparison.Ordinal)
            || !ulong.TryParse(lines[1].AsSpan("version ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || version.ToString(CultureInfo.InvariantCulture) != lines[1]["version ".Length..])
        {
            return ThrowHelper.Format<TrustSet>("trust set line 2", "expected 'version N' (decimal, no leading zero)");
        }

        if (lines.Length - 2 > MaxKeys)
        {
            ThrowHelper.Format("trust set", $"more than {MaxKeys} keys");
        }

        var keys = new List<TrustedCaKey>();
        for (var i = 2; i < lines.Length; i++)
        {
            var parts = lines[i].Split(' ', 3);
            var field = $"trust set line {i + 1}";
            if (parts.Length != 3)
            {
                ThrowHelper.Format(field, "expected '<user|host> <state> <public key>'");
            }

            var ca = parts[0] switch
            {
                "user" => SshCertificateType.User,
                "host" => SshCertificateType.Host,
                _ => ThrowHelper.Format<SshCertificateType>(field, $"'{Word(parts[0])}' is neither user nor host"),
            };
            var state = ParseState(parts[1]) ?? ThrowHelper.Format<CaKeyState>(field, $"'{Word(parts[1])}' is not a key state (next, active, retired, revoked)");
            var key = SshPublicKey.ParseLine(parts[2], out var comment);
            if (comment.Length > 0)
            {
                ThrowHelper.Format(field, "a key line without a comment");
            }

            if (!string.Equals(key.ToOpenSshLine(), parts[2], StringComparison.Ordinal))
            {
                ThrowHelper.Format(field, "the key is not written as OpenSSH writes it (one space, canonical base64)");
            }

            if (keys.Any(k => k.PublicKey.Equals(key)))
            {
                ThrowHelper.Format(field, $"key {key.GetSha256Fingerprint()} appears twice");
            }

            keys.Add(new TrustedCaKey(ca, state, key));
        }

        foreach (var ca in new[] { SshCertificateType.User, SshCertificateType.Host })
        {
            if (!keys.Any(k => k.Ca == ca && k.State == CaKeyState.Active))
            {
                ThrowHelper.Format("trust set", $"needs an active {CaName(ca)} CA key");
            }
        }

        return new TrustSet(version, keys);
    }

    /// <summary>"next", "active", "retired" or "revoked".</summary>
    public static string StateName(CaKeyState state) => state switch
    {
        CaKeyState.Next => "next",
        CaKeyState.Active => "active",
        CaKeyState.Retired => "retired",
        _ => "revoked",
    };

    /// <summary>The state a word names, or null.</summary>
    public static CaKeyState? ParseState(string? word) => word switch
    {
        "next" => CaKeyState.Next,
        "active" => CaKeyState.Active,
        "retired" => CaKeyState.Retired,
        "revoked" => CaKeyState.Revoked,
        _ => null,
    };

    private static string Word(string word) =>
        new([.. word.Take(24).Select(c => c is >= ' ' and <= '~' ? c : '?')]);

    private static string CaName(SshCertificateType ca) => ca == SshCertificateType.User ? "user" : "host";
}
