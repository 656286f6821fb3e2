using System.Globalization;
using System.Text;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Cli;

/// <summary>
/// A file that holds what a host or client trusts: a host's TrustedUserCAKeys file (user CA key
/// lines for sshd) or a client's known_hosts file (@cert-authority lines for ssh), each with its
/// <see cref="TrustState"/> in comment lines above, written together atomically. Every signed
/// document (trust set, KRL) is checked here, by <see cref="TrustRule"/> alone, against the state
/// in the file; the state the rule returns is kept in memory until <see cref="Save"/>.
/// A plain file of key lines (an operator's --signer file) is read as anchors and never written.
/// </summary>
internal sealed class TrustFile
{
    private const string Title = TrustState.LinePrefix + "trust set";

    private readonly string? _pattern;
    private readonly bool _writable;

    private TrustFile(string path, string? pattern, TrustState state, bool writable, bool fresh = false)
    {
        IsFresh = fresh;
        Path = path;
        _pattern = pattern;
        State = state;
        _writable = writable;
    }

    /// <summary>True for a state started over (<see cref="Fresh"/>): what is installed does not count.</summary>
    public bool IsFresh { get; }

    /// <summary>Where the file is.</summary>
    public string Path { get; }

    /// <summary>The state as checked so far (what <see cref="Save"/> writes).</summary>
    public TrustState State { get; private set; }

    /// <summary>
    /// A host's TrustedUserCAKeys file (host renew, krl): its state; a file written before states
    /// were kept is read as its key lines and its version comment, and gets a state when saved.
    /// </summary>
    public static TrustFile UserCaKeys(string path) => Open(path, null, [], writable: true);

    /// <summary>
    /// A client's known_hosts file (login). A client's trust is rooted in the TLS root setup pinned,
    /// and a laptop may sleep through a whole rotation: <paramref name="anchors"/> (the user CA keys
    /// the pinned CA names now) may sign too, beside the state's — never one a revocation reached.
    /// </summary>
    public static TrustFile KnownHosts(string path, string pattern, IReadOnlyList<SshPublicKey> anchors)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        var file = Open(path, pattern, anchors, writable: true);
        var added = anchors.Where(k => !file.State.Keys.Any(t => t.Ca == SshCertificateType.User && t.PublicKey.Equals(k)) && !file.State.Revoked.Contains(k));
        file.State = file.State with { Keys = [.. file.State.Keys, .. added.Select(k => new TrustedCaKey(SshCertificateType.User, CaKeyState.Active, k))] };
        return file;
    }

    /// <summary>
    /// What <c>krl --signer FILE</c> names: a trust file written by ssh-hsm-ca (its state is used
    /// and kept), or a plain file of CA key lines (anchors; nothing is written to it).
    /// </summary>
    public static TrustFile Signers(string path)
    {
        var text = CliFiles.ReadText(path);
        if (TrustState.Parse(text) is { } state)
        {
            return new TrustFile(path, IsKnownHosts(text) ? PatternOf(text) : null, state, writable: true);
        }

        return new TrustFile(path, null, TrustState.Anchored(KeyLines(path, text)), writable: false);
    }

    /// <summary>A new state anchored on <paramref name="anchors"/> (bootstrap, setup, an operator's reset), replacing whatever the file holds when saved.</summary>
    public static TrustFile Fresh(string path, string? pattern, IEnumerable<SshPublicKey> anchors) =>
        new(path, pattern, TrustState.Anchored(anchors), writable: true, fresh: true);

    /// <summary>The user CA keys in a file of OpenSSH public key lines (an operator's anchors); comments and blank lines skipped.</summary>
    public static IReadOnlyList<SshPublicKey> ReadKeys(string path) => KeyLines(path, CliFiles.ReadText(path));

    /// <summary>Checks <paramref name="document"/>; refusals throw <see cref="RefusedUpdateException"/> (exit 4, or 5 for an older version) naming the file, which is unchanged.</summary>
    public TrustVerdict Check(SignedDocument document, string target)
    {
        ArgumentNullException.ThrowIfNull(document);
        var verdict = TrustRule.Decide(State, document);
        switch (verdict)
        {
            case TrustVerdict.Refuse refused:
                throw new RefusedUpdateException(refused.Rollback ? KrlInstaller.ExitRollback : KrlInstaller.ExitVerification, $"{refused.Reason}; {target} is unchanged");
            case TrustVerdict.Accept accepted:
                State = accepted.State;
                break;
            case TrustVerdict.Current current:
                State = current.State;
                break;
        }

        return verdict;
    }

    /// <summary>Takes <paramref name="state"/> as what is installed (a KRL file newer than the state records).</summary>
    public void Adopt(TrustState state) => State = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>Writes the file when its content changed (never a plain --signer file); true when written.</summary>
    public bool Save()
    {
        if (!_writable)
        {
            return false;
        }

        var content = Render();
        if (File.Exists(Path) && CliFiles.ReadText(Path, 1024 * 1024) == content)
        {
            return false;
        }

        FileOutput.WriteAtomically(Path, content, FileOutput.PublicMode);
        return true;
    }

    /// <summary>The file's text: a title, the state, then what sshd or ssh reads.</summary>
    private string Render()
    {
        var version = State.TrustSet is { } stamp ? string.Create(CultureInfo.InvariantCulture, $"version {stamp.Version}") : "(none installed yet)";
        var text = new StringBuilder();
        if (_pattern is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Title} {version}: the user CA keys sshd trusts (next, active, retired); written by ssh-hsm-ca, do not edit\n");
            text.Append(State.ToText()).Append(TrustLines.UserCaKeys(State.Trusted(SshCertificateType.User)));
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{Title} {version}: the host CA keys ssh trusts (next, active, retired) for {_pattern}; written by ssh-hsm-ca, do not edit\n");
            text.Append(State.ToText()).Append(TrustLines.KnownHosts(_pattern, State.Trusted(SshCertificateType.Host)));
        }

        return text.ToString();
    }

    private static TrustFile Open(string path, string? pattern, IReadOnlyList<SshPublicKey> anchors, bool writable)
    {
        if (!File.Exists(path))
        {
            if (anchors.Count == 0)
            {
                throw new IOException($"{path}: no such file (the trust file host bootstrap writes)");
            }

            return new TrustFile(path, pattern, TrustState.Anchored(anchors), writable);
        }

        var text = CliFiles.ReadText(path, 1024 * 1024);
        if (TrustState.Parse(text) is { } state)
        {
            return new TrustFile(path, pattern, state, writable);
        }

        // Written before states were kept: the version comment, and the key lines for a host.
        var version = LegacyVersion(text);
        return new TrustFile(path, pattern, TrustState.Anchored(pattern is null ? KeyLines(path, text) : anchors, version), writable);
    }

    private static ulong? LegacyVersion(string text)
    {
        var first = text.Split('\n')[0];
        const string Legacy = Title + " version ";
        if (!first.StartsWith(Legacy, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = new string([.. first[Legacy.Length..].TakeWhile(char.IsAsciiDigit)]);
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private static bool IsKnownHosts(string text) => text.Split('\n').Any(l => l.StartsWith("@cert-authority ", StringComparison.Ordinal)) || text.Contains("the host CA keys ssh trusts", StringComparison.Ordinal);

    private static string PatternOf(string text)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("@cert-authority ", StringComparison.Ordinal));
        return line?.Split(' ')[1] ?? "*";
    }

    private static List<SshPublicKey> KeyLines(string path, string text)
    {
        var keys = new List<SshPublicKey>();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            // The whole output of "ca keys" may be given: its @cert-authority lines are host CA keys, never signers.
            if (trimmed.Length > 0 && !trimmed.StartsWith('#') && !trimmed.StartsWith("@cert-authority ", StringComparison.Ordinal))
            {
                try
                {
                    keys.Add(SshPublicKey.ParseLine(trimmed));
                }
                catch (SshFormatException e)
                {
                    throw new IOException($"{path}: not a file of CA public keys ({e.Message})", e);
                }
            }
        }

        return keys.Count > 0 ? keys : throw new IOException($"{path}: no public key to verify signed documents with");
    }
}
