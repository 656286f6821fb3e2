using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Cli;

/// <summary>
/// Installing a KRL where sshd (RevokedKeys) or ssh (RevokedHostKeys) reads it, which is where a
/// fleet locks itself out: both treat an unreadable or malformed file as "everything revoked".
/// So a KRL is installed only when its SSHSIG verifies with a pinned CA key (namespace
/// krl@ssh-hsm-ca), it parses as OpenSSH would parse it, its version is the one announced, and it
/// is not older than the installed one; then atomically. On any refusal the installed file stays.
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
    public sealed record Outcome(bool Written, ulong Version, ulong? Previous, int Bytes);

    /// <summary>The current KRL from the CA.</summary>
    public static async Task<(byte[] Krl, string Signature, ulong Version)> FetchAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.GetKrlAsync(new GetKrlRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return (response.Krl.ToByteArray(), response.Signature, response.Version);
    }

    /// <summary>The CA keys in a file of OpenSSH public key lines (a TrustedUserCAKeys file); comments and blank lines skipped.</summary>
    public static List<SshPublicKey> ReadSigners(string path)
    {
        var keys = new List<SshPublicKey>();
        foreach (var line in CliFiles.ReadText(path).Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length > 0 && !trimmed.StartsWith('#'))
            {
                keys.Add(SshPublicKey.ParseLine(trimmed));
            }
        }

        return keys.Count > 0 ? keys : throw new IOException($"{path}: no public key to verify KRLs with");
    }

    /// <summary>Verifies and installs; throws <see cref="RefusedUpdateException"/> and leaves the file as it was on any refusal.</summary>
    public static Outcome Install(string path, byte[] krl, string signature, IReadOnlyList<SshPublicKey> signers, ulong? announcedVersion)
    {
        ArgumentNullException.ThrowIfNull(krl);
        ArgumentNullException.ThrowIfNull(signers);
        SshSig sig;
        try
        {
            sig = SshSig.ParseArmored(signature ?? string.Empty);
        }
        catch (SshFormatException e)
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL's signature is malformed ({e.Message}); {path} is unchanged");
        }

        if (!signers.Any(k => sig.Verifies(k, KrlSignature.Namespace, krl)))
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL's signature does not verify with the pinned CA key(s) (namespace {KrlSignature.Namespace}); {path} is unchanged");
        }

        SshKrl parsed;
        try
        {
            parsed = SshKrl.Parse(krl);
        }
        catch (SshFormatException e)
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL does not parse ({e.Message}); {path} is unchanged");
        }

        if (announcedVersion is { } announced && announced != parsed.Version)
        {
            throw new RefusedUpdateException(ExitVerification, $"the KRL says version {parsed.Version}, the CA announced {announced}; {path} is unchanged");
        }

        ulong? previous = null;
        if (File.Exists(path))
        {
            try
            {
                var installed = CliFiles.ReadBytes(path, SshKrl.MaxLength);
                previous = SshKrl.Parse(installed).Version;
                if (installed.AsSpan().SequenceEqual(krl))
                {
                    return new Outcome(false, parsed.Version, previous, krl.Length);
                }
            }
            catch (SshFormatException)
            {
                // Not a KRL sshd can read: replacing it with a verified one is the repair.
                previous = null;
            }

            if (previous is { } old && parsed.Version < old)
            {
                throw new RefusedUpdateException(ExitRollback, $"refusing to replace KRL version {old} with the older version {parsed.Version}; {path} is unchanged");
            }

            if (previous is { } same && parsed.Version == same)
            {
                return new Outcome(false, parsed.Version, previous, krl.Length);
            }
        }

        FileOutput.WriteAtomically(path, krl, FileOutput.PublicMode);
        return new Outcome(true, parsed.Version, previous, krl.Length);
    }
}
