using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli;

/// <summary>
/// A security key's files as ssh-keygen writes them (issue 29): FILE (the key handle; the private
/// key stays in the authenticator), FILE.pub, and the certificate login writes as FILE-cert.pub.
/// </summary>
internal static class SecurityKeyFiles
{
    /// <summary>The sk-* public key in <paramref name="key"/>.pub; anything else is refused naming the file.</summary>
    public static SshPublicKey PublicKeyOf(string key)
    {
        var path = key + ".pub";
        SshPublicKey publicKey;
        try
        {
            publicKey = SshPublicKey.ParseLine(CliFiles.ReadText(path).Trim());
        }
        catch (SshFormatException e)
        {
            throw new UsageException($"{path}: {e.Message}");
        }

        return publicKey.IsSecurityKey
            ? publicKey
            : throw new UsageException($"{path} holds a {publicKey.KeyType} key, not a security key (sk-ecdsa or sk-ed25519): enroll one with ssh-hsm-ca key enroll");
    }

    /// <summary>
    /// The certificate beside the key (FILE-cert.pub, written atomically, never through a link), then
    /// both into ssh-agent with <c>ssh-add -t LIFETIME FILE</c>: the agent signs through the security key.
    /// </summary>
    /// <remarks>
    /// With <paramref name="hops"/>, ssh-add sets the destination constraint itself (<c>-H FILE -h ...</c>,
    /// the host CA keys in a temporary known_hosts file); an agent that refuses it fails the add.
    /// </remarks>
    /// <exception cref="AgentRefusedException">ssh-add failed with the destination constraint.</exception>
    public static string AddToAgent(SshAgentClient agent, string key, SshCertificate certificate, uint lifetime, IReadOnlyList<(string From, string To)> hops, IReadOnlyList<SshPublicKey> hostCaKeys)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(hops);
        ArgumentNullException.ThrowIfNull(hostCaKeys);
        var certificateFile = key + "-cert.pub";
        FileOutput.WriteAtomically(certificateFile, certificate.ToOpenSshLine(LoginComment(certificate)) + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var life = lifetime.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (hops.Count == 0)
        {
            OpenSshTool.Run("ssh-add", ["-t", life, key]);
            return certificateFile;
        }

        var work = Directory.CreateTempSubdirectory("ssh-hsm-ca-add-");
        try
        {
            var knownHosts = Path.Combine(work.FullName, "known_hosts");
            File.WriteAllText(knownHosts, string.Concat(hostCaKeys.Select(k => "@cert-authority * " + k.ToOpenSshLine() + "\n")));
            try
            {
                OpenSshTool.Run("ssh-add", ["-t", life, .. AgentDestinations.SshAddArguments(hops, knownHosts), key]);
            }
            catch (IOException e)
            {
                throw new AgentRefusedException($"ssh-add with the destination constraint failed: {e.Message}", e);
            }

            // Only the certificate stays (see SshAgentClient.AddEd25519: ssh before 10.3 would sign
            // for it with the plain key, which the restricted agent refuses).
            agent.Remove(certificate.PublicKey.Blob.Span);

            return certificateFile;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string LoginComment(SshCertificate certificate) => Commands.User.LoginCommand.CommentPrefix + certificate.KeyId;
}
