namespace SshHsmCa.Cli.Commands.Host;

/// <summary>What the host commands share: host key files, token files, the proof of possession.</summary>
internal static class HostFiles
{
    /// <summary>The proof of possession: <c>ssh-keygen -Y sign</c> with the host's private key (the CLI never reads it).</summary>
    internal static string SignWithHostKey(string privateKey, string ns, byte[] message)
    {
        var directory = Directory.CreateTempSubdirectory("ssh-hsm-ca-renew-");
        try
        {
            var file = Path.Combine(directory.FullName, "challenge");
            File.WriteAllBytes(file, message);
            try
            {
                OpenSshTool.Run("ssh-keygen", ["-q", "-Y", "sign", "-n", ns, "-f", privateKey, file], timeoutMs: 30_000);
            }
            catch (IOException e)
            {
                throw new IOException($"ssh-keygen -Y sign with {privateKey} failed: {e.Message}", e);
            }

            return File.ReadAllText(file + ".sig");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A token file holds one token and nothing else (surrounding whitespace aside): a file with the
    /// token plus a comment line, or anything else, is refused naming the file, before any call.
    /// </summary>
    internal static string ReadTokenFile(string path)
    {
        var text = CliFiles.ReadText(path, 4096).Trim();
        return IsTokenText(text)
            ? text
            : throw new UsageException($"{path}: expected exactly one bootstrap token (shcbt_<id>_<secret>) and nothing else; write it with: ssh-hsm-ca host token NAME > {path}");
    }

    /// <summary>
    /// The shape of a bootstrap token: printable ASCII without spaces, of a sane length. It becomes
    /// an HTTP/2 header value, where a newline or a control character is a protocol error.
    /// </summary>
    internal static bool IsTokenText(string text) =>
        text.StartsWith("shcbt_", StringComparison.Ordinal) && text.Length <= 128 && text.All(c => c is > ' ' and < (char)127);

    internal static List<string> HostKeys(string sshDir)
    {
        var files = Directory.GetFiles(sshDir, "ssh_host_*_key.pub").Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new IOException($"no host keys (ssh_host_*_key.pub) in {sshDir}");
    }
}
