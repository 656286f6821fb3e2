using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Cli;

/// <summary>
/// Installing the CA's trust set (CA key rotation): the user CA keys a host's sshd trusts
/// (<c>TrustedUserCAKeys</c>) and the host CA keys a user's ssh trusts (<c>@cert-authority</c>).
/// A set is installed only when it parses strictly, its version is the one announced, and
/// <see cref="TrustRule"/> believes it against the trust file's state; then atomically, the state
/// in comment lines above what sshd or ssh reads. On any refusal the file stays (exit 4 or 5).
/// </summary>
internal static class TrustInstaller
{
    /// <summary>What happened.</summary>
    public sealed record Outcome(bool Written, ulong Version, TrustSet Set);

    /// <summary>The user CA keys in force a GetCaPublicKeys answer names (the active one alone from a CA before rotation).</summary>
    public static IReadOnlyList<SshPublicKey> UserCaKeys(GetCaPublicKeysResponse keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var lines = keys.TrustedUserCaKeys.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? [.. lines.Select(l => SshPublicKey.ParseLine(l))] : [SshPublicKey.ParseLine(keys.UserCaPublicKey)];
    }

    /// <summary>The host CA keys in force a GetCaPublicKeys answer names (its @cert-authority lines; the one host CA key from a CA before rotation).</summary>
    public static IReadOnlyList<SshPublicKey> HostCaKeys(GetCaPublicKeysResponse keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var lines = keys.KnownHosts.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', 3)).Where(p => p.Length == 3 && p[0] == "@cert-authority").Select(p => SshPublicKey.ParseLine(p[2])).Distinct().ToList();
        return lines.Count > 0 ? lines : [SshPublicKey.ParseLine(keys.HostCaPublicKey)];
    }

    /// <summary>Checks a fetched trust set against <paramref name="trust"/> (whose state then holds it, unsaved); throws <see cref="RefusedUpdateException"/>.</summary>
    public static TrustSet Check(GetTrustSetResponse response, TrustFile trust)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(trust);
        SignedDocument document;
        try
        {
            document = SignedDocument.ForTrustSet(response.TrustSet.ToByteArray(), response.Signature);
        }
        catch (SshFormatException e)
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the CA's trust set is malformed ({e.Message}); {trust.Path} is unchanged");
        }

        if (document.Version != response.Version)
        {
            throw new RefusedUpdateException(KrlInstaller.ExitVerification, $"the trust set says version {document.Version}, the CA announced {response.Version}; {trust.Path} is unchanged");
        }

        trust.Check(document, trust.Path);
        return document.Set!;
    }

    /// <summary>Checks and installs a fetched trust set in <paramref name="trust"/>.</summary>
    public static Outcome Install(GetTrustSetResponse response, TrustFile trust)
    {
        var set = Check(response, trust);
        return new Outcome(trust.Save(), set.Version, set);
    }
}
