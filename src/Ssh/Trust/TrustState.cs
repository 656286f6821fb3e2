using System.Globalization;
using System.Text;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>
/// What a host (its TrustedUserCAKeys file) or a client (its known_hosts file) has come to believe
/// about the CA's keys, kept as comment lines in that file so that it changes atomically with what
/// sshd or ssh reads: the keys of the installed trust set with their states, the keys a revocation
/// reached (never believed again), the next keys the installed set's signer dropped (they may still
/// prove that signer revoked), and the version and signer of the installed trust set and KRL.
/// <see cref="TrustRule"/> is the only thing that makes a new state from an old one.
/// </summary>
public sealed record TrustState(IReadOnlyList<TrustedCaKey> Keys, IReadOnlyList<SshPublicKey> Dormant, IReadOnlyList<SshPublicKey> Revoked, DocumentStamp? TrustSet, DocumentStamp? Krl)
{
    /// <summary>The prefix of every state line (a comment to sshd and ssh).</summary>
    public const string LinePrefix = "# ssh-hsm-ca ";

    /// <summary>The most revoked keys remembered (a rotation a month for twenty years).</summary>
    public const int MaxRevoked = 256;

    private const string Marker = LinePrefix + "state 1";

    /// <summary>A state that trusts <paramref name="userCaKeys"/> as signers and has installed nothing signed yet (bootstrap, setup, a file from before signers were recorded).</summary>
    public static TrustState Anchored(IEnumerable<SshPublicKey> userCaKeys, ulong? trustSetVersion = null, ulong? krlVersion = null)
    {
        ArgumentNullException.ThrowIfNull(userCaKeys);
        return new TrustState(
            [.. userCaKeys.Distinct().Select(k => new TrustedCaKey(SshCertificateType.User, CaKeyState.Active, k))],
            [],
            [],
            trustSetVersion is { } t ? new DocumentStamp(t, null) : null,
            krlVersion is { } k ? new DocumentStamp(k, null) : null);
    }

    /// <summary>The keys of <paramref name="ca"/> believed now: next, active or retired in the installed set, and never revoked.</summary>
    public IReadOnlyList<SshPublicKey> Trusted(SshCertificateType ca) =>
        [.. Keys.Where(k => k.Ca == ca && k.IsTrusted && !Revoked.Contains(k.PublicKey)).Select(k => k.PublicKey)];

    /// <summary>The user CA keys a signed document may be signed by.</summary>
    public IReadOnlyList<SshPublicKey> Signers => Trusted(SshCertificateType.User);

    /// <summary>The state as comment lines, each ending with a newline.</summary>
    public string ToText()
    {
        var text = new StringBuilder(Marker).Append('\n');
        foreach (var key in Keys)
        {
            text.Append(CultureInfo.InvariantCulture, $"{LinePrefix}key {(key.Ca == SshCertificateType.User ? "user" : "host")} {Trust.TrustSet.StateName(key.State)} {key.PublicKey.ToOpenSshLine()}\n");
        }

        foreach (var key in Dormant)
        {
            text.Append(CultureInfo.InvariantCulture, $"{LinePrefix}dormant {key.ToOpenSshLine()}\n");
        }

        foreach (var key in Revoked)
        {
            text.Append(CultureInfo.InvariantCulture, $"{LinePrefix}revoked {key.ToOpenSshLine()}\n");
        }

        Stamp(text, "trust-set", TrustSet);
        Stamp(text, "krl", Krl);
        return text.ToString();
    }

    /// <summary>
    /// The state in a file's text, or null when the file holds none (written before states were
    /// kept, or by hand). Lines that are not state lines are left to the caller.
    /// </summary>
    /// <exception cref="SshFormatException">A state line is malformed.</exception>
    public static TrustState? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n').Where(l => l.StartsWith(LinePrefix, StringComparison.Ordinal)).ToList();
        if (!lines.Contains(Marker))
        {
            return null;
        }

        List<TrustedCaKey> keys = [];
        List<SshPublicKey> dormant = [];
        List<SshPublicKey> revoked = [];
        DocumentStamp? trustSet = null;
        DocumentStamp? krl = null;
        foreach (var line in lines)
        {
            var words = line[LinePrefix.Length..].Split(' ', 2);
            var rest = words.Length > 1 ? words[1] : string.Empty;
            switch (words[0])
            {
                case "state" when rest == "1":
                    break;
                case "key":
                    var parts = rest.Split(' ', 3);
                    var ca = parts[0] switch
                    {
                        "user" => SshCertificateType.User,
                        "host" => SshCertificateType.Host,
                        _ => ThrowHelper.Format<SshCertificateType>("trust state key line", "expected 'user' or 'host'"),
                    };
                    var state = parts.Length == 3 ? Trust.TrustSet.ParseState(parts[1]) : null;
                    keys.Add(new TrustedCaKey(ca, state ?? ThrowHelper.Format<CaKeyState>("trust state key line", "expected a key state"), Key(parts[^1])));
                    break;
                case "dormant":
                    dormant.Add(Key(rest));
                    break;
                case "revoked":
                    revoked.Add(Key(rest));
                    break;
                case "trust-set":
                    trustSet = ParseStamp(rest);
                    break;
                case "krl":
                    krl = ParseStamp(rest);
                    break;
                case "trust":
                    // The first line's "trust set version N" description.
                    break;
                default:
                    ThrowHelper.Format("trust state", $"unknown line '{words[0][..Math.Min(words[0].Length, 24)]}'");
                    break;
            }
        }

        if (keys.Count > Trust.TrustSet.MaxKeys || dormant.Count > Trust.TrustSet.MaxKeys || revoked.Count > MaxRevoked)
        {
            ThrowHelper.Format("trust state", "holds more keys than a trust set can");
        }

        return new TrustState(keys, dormant, revoked, trustSet, krl);
    }

    private static void Stamp(StringBuilder text, string name, DocumentStamp? stamp)
    {
        if (stamp is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"{LinePrefix}{name} {stamp.Version} {stamp.Signer?.ToOpenSshLine() ?? "-"}\n");
        }
    }

    private static DocumentStamp ParseStamp(string rest)
    {
        var parts = rest.Split(' ', 2);
        if (parts.Length != 2 || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return ThrowHelper.Format<DocumentStamp>("trust state stamp", "expected '<version> <signer key or ->'");
        }

        return new DocumentStamp(version, parts[1] == "-" ? null : Key(parts[1]));
    }

    private static SshPublicKey Key(string line)
    {
        var key = SshPublicKey.ParseLine(line, out var comment);
        return comment.Length == 0 ? key : ThrowHelper.Format<SshPublicKey>("trust state", "a key line without a comment");
    }
}
