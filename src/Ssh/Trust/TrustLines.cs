using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>
/// The lines OpenSSH reads trust from, written one way by the daemon (GetCaPublicKeys) and the
/// CLI (the trust files it installs): a <c>TrustedUserCAKeys</c> line (sshd(8) AUTHORIZED_KEYS
/// FILE FORMAT, a plain key) and a known_hosts <c>@cert-authority</c> line (sshd(8)
/// SSH_KNOWN_HOSTS FILE FORMAT: marker, host pattern, key).
/// </summary>
public static class TrustLines
{
    /// <summary>The comment of a user CA key line.</summary>
    public const string UserCaComment = "ssh-hsm-ca user CA";

    /// <summary>The comment of a host CA key line.</summary>
    public const string HostCaComment = "ssh-hsm-ca host CA";

    /// <summary>A user CA key as sshd's TrustedUserCAKeys reads it, without a newline.</summary>
    public static string UserCaKey(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ToOpenSshLine(UserCaComment);
    }

    /// <summary>A host CA key as a plain line (what GetCaPublicKeys answers), without a newline.</summary>
    public static string HostCaKey(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ToOpenSshLine(HostCaComment);
    }

    /// <summary>"@cert-authority PATTERN KEY COMMENT", without a newline.</summary>
    public static string CertAuthority(string pattern, SshPublicKey key) => $"@cert-authority {pattern} {HostCaKey(key)}";

    /// <summary>Every key as a TrustedUserCAKeys line, each ending with a newline.</summary>
    public static string UserCaKeys(IEnumerable<SshPublicKey> keys) => string.Concat(keys.Select(k => UserCaKey(k) + "\n"));

    /// <summary>Every key as an @cert-authority line for <paramref name="pattern"/>, each ending with a newline.</summary>
    public static string KnownHosts(string pattern, IEnumerable<SshPublicKey> keys) => string.Concat(keys.Select(k => CertAuthority(pattern, k) + "\n"));

    /// <summary>Whether <paramref name="pattern"/> can stand in an @cert-authority line (one field: no whitespace or control characters, not empty).</summary>
    public static bool IsHostPattern(string pattern) => !string.IsNullOrEmpty(pattern) && !pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
