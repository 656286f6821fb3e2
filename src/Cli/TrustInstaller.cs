using System.Globalization;
using System.Text;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Cli;

/// <summary>
/// Installing the CA's trust set (CA key rotation): the user CA keys a host's sshd trusts
/// (<c>TrustedUserCAKeys</c>) and the host CA keys a user's ssh trusts (<c>@cert-authority</c>).
/// A set is installed only when its SSHSIG (namespace trust@ssh-hsm-ca) verifies with a key the
/// installed file already trusts, its signer is the set's active user CA key, it parses strictly,
/// its version is the one announced and not older than the installed one; then atomically, with
/// its version in a comment line. On any refusal the installed file stays (exit 4 or 5, as for KRLs).
/// </summary>
internal static class TrustInstaller
{
    private const string VersionComment = "# ssh-hsm-ca trust set version ";

    /// <summary>What happened.</summary>
    public sealed record Outcome(bool Written, ulong Version, ulong? Previous, TrustSet Set);

    /// <summary>The user CA keys in force a GetCaPublicKeys answer names (the active one alone from a CA before rotation).</summary>
    public static IReadOnlyList<SshPublicKey> UserCaKeys(GetCaPublicKeysResponse keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var lines = keys.TrustedUserCaKeys.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? [.. lines.Select(l => SshPublicKey.ParseLine(l))] : [SshPublicKey.ParseLine(keys.UserCaPublicKey)];
    }

    /// <summary>Verifies a fetched trust set against <paramref name="signers"/>; throws <see cref="RefusedUpdateException"/>.</summary>
    public static TrustSet Verify(GetTrustSetResponse response, IReadOnlyList<SshPublicKey> signers, string path)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(signers);
        var document = response.TrustSet.ToByteArray();
        SshSig signature;
        TrustSet set;
        try
        {
            signature = SshSig.ParseArmored(response.Signature);
            set = TrustSet.Parse(document);
        }
        catch (SshFormatException e)
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the CA's trust set is malformed ({e.Message}); {path} is unchanged");
        }

        if (!signers.Any(k => signature.Verifies(k, TrustSet.Namespace, document)))
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the trust set's signature does not verify with a user CA key {path} trusts (namespace {TrustSet.Namespace}); {path} is unchanged");
        }

        if (!set.Actives(SshCertificateType.User).Contains(signature.PublicKey))
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the trust set is signed by {signature.PublicKey.GetSha256Fingerprint()}, not by one of its active user CA keys; {path} is unchanged");
        }

        if (set.Version != response.Version)
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the trust set says version {set.Version}, the CA announced {response.Version}; {path} is unchanged");
        }

        return set;
    }

    /// <summary>Writes the user CA keys a host trusts (TrustedUserCAKeys) from a verified set.</summary>
    public static Outcome InstallUserCaKeys(string path, TrustSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var content = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{VersionComment}{set.Version}: the user CA keys sshd trusts (next, active, retired); written by ssh-hsm-ca, do not edit\n"));
        foreach (var key in set.Trusted(SshCertificateType.User))
        {
            content.Append(key.ToOpenSshLine("ssh-hsm-ca user CA")).Append('\n');
        }

        return Install(path, set, content.ToString());
    }

    /// <summary>Writes the @cert-authority lines a user's ssh trusts for <paramref name="pattern"/> from a verified set.</summary>
    public static Outcome InstallKnownHosts(string path, TrustSet set, string pattern)
    {
        ArgumentNullException.ThrowIfNull(set);
        var content = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{VersionComment}{set.Version}: the host CA keys ssh trusts (next, active, retired); written by ssh-hsm-ca, do not edit\n"));
        foreach (var key in set.Trusted(SshCertificateType.Host))
        {
            content.Append(CultureInfo.InvariantCulture, $"@cert-authority {pattern} {key.ToOpenSshLine("ssh-hsm-ca host CA")}\n");
        }

        return Install(path, set, content.ToString());
    }

    /// <summary>The trust-set version an installed file says it holds, or null (none, or written before rotation).</summary>
    public static ulong? InstalledVersion(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var first = CliFiles.ReadText(path).Split('\n')[0];
        if (!first.StartsWith(VersionComment, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = new string([.. first[VersionComment.Length..].TakeWhile(char.IsAsciiDigit)]);
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private static Outcome Install(string path, TrustSet set, string content)
    {
        var previous = InstalledVersion(path);
        if (previous is { } old && set.Version < old)
        {
            throw new RefusedUpdateException(KrlInstaller.ExitRollback, $"refusing to replace trust set version {old} with the older version {set.Version}; {path} is unchanged");
        }

        if (File.Exists(path) && CliFiles.ReadText(path) == content)
        {
            return new Outcome(false, set.Version, previous, set);
        }

        FileOutput.WriteAtomically(path, content, FileOutput.PublicMode);
        return new Outcome(true, set.Version, previous, set);
    }
}
