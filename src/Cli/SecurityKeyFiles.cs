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
    public static string AddToAgent(string key, SshCertificate certificate, uint lifetime)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var certificateFile = key + "-cert.pub";
        FileOutput.WriteAtomically(certificateFile, certificate.ToOpenSshLine(LoginComment(certificate)) + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        OpenSshTool.Run("ssh-add", ["-t", lifetime.ToString(System.Globalization.CultureInfo.InvariantCulture), key]);
        return certificateFile;
    }

    private static string LoginComment(SshCertificate certificate) => Commands.User.LoginCommand.CommentPrefix + certificate.KeyId;
}
