using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Cli;

/// <summary>
/// Installing a KRL where sshd (RevokedKeys) or ssh (RevokedHostKeys) reads it, which is where a
/// fleet locks itself out: both treat an unreadable or malformed file as "everything revoked".
/// So a KRL is installed only when it parses as OpenSSH would parse it, its version is the one
/// announced, and <see cref="TrustRule"/> believes it (signed in namespace krl@ssh-hsm-ca by a
/// user CA key the trust file lists and nothing revoked; not older than the installed one unless
/// it revokes that one's signer); then atomically. On any refusal the installed file stays.
/// </summary>
internal static class KrlInstaller
{
    /// <summary>The KRL failed verification (signature, format, announced version).</summary>
    public const int ExitVerification = 4;

    /// <summary>The KRL is older than the installed one.</summary>
    public const int ExitRollback = 5;

    /// <summary>The default place of the host's KRL (sshd's RevokedKeys).</summary>
    public const string DefaultHostPath = "/etc/ssh/ssh-hsm-ca-revoked.krl";

    /// <summary>What happened.</summary>
    public sealed record Outcome(bool Written, ulong Version, ulong? Previous, int Bytes)
    {
        /// <summary>Whether the trust file's state changed with it (and was written).</summary>
        public bool TrustFileWritten { get; init; }
    }

    /// <summary>The current KRL from the CA.</summary>
    public static async Task<(byte[] Krl, string Signature, ulong Version)> FetchAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.GetKrlAsync(new GetKrlRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return (response.Krl.ToByteArray(), response.Signature, response.Version);
    }

    /// <summary>
    /// Verifies and installs; throws <see cref="RefusedUpdateException"/> and leaves the file as it
    /// was on any refusal. Believed only by <see cref="TrustRule"/> against <paramref name="trust"/>'s
    /// state, whose change (the KRL's version and signer, the keys it revokes) is saved after the KRL.
    /// </summary>
    public static Outcome Install(string path, byte[] krl, string signature, TrustFile trust, ulong? announcedVersion)
    {
        ArgumentNullException.ThrowIfNull(krl);
        ArgumentNullException.ThrowIfNull(trust);
        SignedDocument document;
        try
        {
            document = SignedDocument.ForKrl(krl, signature, KrlSignature.Namespace);
        }
        catch (SshFormatException e)
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL or its signature is malformed ({e.Message}); {path} is unchanged");
        }

        if (announcedVersion is { } announced && announced != document.Version)
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL says version {document.Version}, the CA announced {announced}; {path} is unchanged");
        }

        // The installed KRL's version counts too (a file from before versions were recorded with
        // their signer, or one a plain --signer file cannot record), unless the state was started
        // over (bootstrap, an operator's reset).
        ulong? previous = null;
        byte[]? installed = null;
        if (File.Exists(path))
        {
            try
            {
                installed = CliFiles.ReadBytes(path, SshKrl.MaxLength);
                previous = SshKrl.Parse(installed).Version;
            }
            catch (SshFormatException)
            {
                // Not a KRL sshd can read: replacing it with a verified one is the repair.
                installed = null;
            }
        }

        if (previous is { } onDisk && !trust.IsFresh && (trust.State.Krl is null || trust.State.Krl.Version < onDisk))
        {
            trust.Adopt(trust.State with { Krl = new DocumentStamp(onDisk, null) });
        }

        // A believed KRL of the installed version is not written over the installed one (only where
        // none is readable): the same version with other bytes is no newer.
        var verdict = trust.Check(document, path);
        var written = installed is null || (verdict is TrustVerdict.Accept && !installed.AsSpan().SequenceEqual(krl));
        if (written)
        {
            FileOutput.WriteAtomically(path, krl, FileOutput.PublicMode);
        }

        return new Outcome(written, document.Version, previous, krl.Length) { TrustFileWritten = trust.Save() };
    }
}
