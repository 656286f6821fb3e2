using System.Globalization;
using System.Text;
using System.Text.Json;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli;

/// <summary><c>host token</c>, <c>host bootstrap</c>, <c>host renew</c>.</summary>
internal static class HostCommands
{
    private const UnixFileMode PublicMode = FileOutput.PublicMode;

    public static Task<int> RunAsync(Connection connection, Queue<string> arguments)
    {
        var sub = arguments.TryDequeue(out var s) ? s : throw new UsageException("host needs token, bootstrap, renew or sign-batch");
        return sub switch
        {
            "token" => TokenAsync(connection, arguments),
            "bootstrap" => BootstrapAsync(connection, arguments),
            "renew" => RenewAsync(connection, arguments),
            "sign-batch" => HostBatchCommand.RunAsync(connection, arguments),
            _ => throw new UsageException($"unknown host command '{sub}'"),
        };
    }

    private static async Task<int> TokenAsync(Connection connection, Queue<string> arguments)
    {
        var request = new CreateBootstrapTokenRequest();
        var json = false;
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--validity":
                    request.ValiditySeconds = ParseDuration(Program.Value(arguments, argument), argument);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    request.HostNames.Add(!argument.StartsWith('-') ? argument : throw new UsageException($"unexpected '{argument}'"));
                    break;
            }
        }

        if (request.HostNames.Count == 0)
        {
            throw new UsageException("host token needs at least one host name");
        }

        var response = await connection.CreateClient().CreateBootstrapTokenAsync(request).ConfigureAwait(false);

        // The token alone on stdout, so "host token NAME > FILE" makes a --token-file; the
        // explanation goes to stderr (issue 13).
        await Console.Out.WriteLineAsync(json
            ? JsonSerializer.Serialize(new { token = response.Token, tokenId = response.TokenId, expiresAt = response.ExpiresAt, hostNames = request.HostNames })
            : response.Token).ConfigureAwait(false);
        if (!json)
        {
            await Console.Error.WriteLineAsync($"One use, for {string.Join(", ", request.HostNames)}, until {LoginCommands.Format(response.ExpiresAt)} UTC. On the host: ssh-hsm-ca --server URL --server-ca PEM host bootstrap --token-file FILE").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> BootstrapAsync(Connection connection, Queue<string> arguments)
    {
        var token = Environment.GetEnvironmentVariable("SSH_HSM_CA_BOOTSTRAP_TOKEN");
        var sshDir = "/etc/ssh";
        var dropInDir = "/etc/ssh/sshd_config.d";
        string? revokedKeys = null;
        var json = false;
        var request = new BootstrapHostRequest { RequestId = "bootstrap" };
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--token":
                    token = Program.Value(arguments, argument);
                    break;
                case "--token-file":
                    token = ReadTokenFile(Program.Value(arguments, argument));
                    break;
                case "--ssh-dir":
                    sshDir = Program.Value(arguments, argument);
                    break;
                case "--sshd-config-dir":
                    dropInDir = Program.Value(arguments, argument);
                    break;
                case "--revoked-keys":
                    revokedKeys = Program.Value(arguments, argument);
                    break;
                case "-n" or "--principal":
                    request.Principals.Add(Program.Value(arguments, argument));
                    break;
                case "--validity":
                    request.ValiditySeconds = ParseDuration(Program.Value(arguments, argument), argument);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    throw new UsageException($"unexpected '{argument}'");
            }
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new UsageException("host bootstrap needs --token, --token-file or SSH_HSM_CA_BOOTSTRAP_TOKEN");
        }

        token = token.Trim();
        if (!IsTokenText(token))
        {
            throw new UsageException("the bootstrap token is not one token (expected shcbt_<id>_<secret>, from ssh-hsm-ca host token)");
        }

        var keyFiles = HostKeyFiles(sshDir);
        foreach (var file in keyFiles)
        {
            request.PublicKeys.Add(SshPublicKey.ParseLine(CliFiles.ReadText(file)).ToOpenSshLine());
        }

        var response = await connection.CreateClient("Bootstrap " + token).BootstrapHostAsync(request).ConfigureAwait(false);
        var written = new List<string>();
        for (var i = 0; i < keyFiles.Count; i++)
        {
            var path = keyFiles[i][..^".pub".Length] + "-cert.pub";
            FileOutput.WriteAtomically(path, SshCertificate.ParseLine(response.Certificates[i].Certificate).ToOpenSshLine() + "\n", PublicMode);
            written.Add(path);
        }

        var userCaPath = Path.Combine(sshDir, "ssh-hsm-ca-user-ca.pub");
        FileOutput.WriteAtomically(userCaPath, response.UserCaPublicKey + "\n", PublicMode);
        written.Add(userCaPath);
        Directory.CreateDirectory(dropInDir);
        var dropIn = new StringBuilder("# Written by ssh-hsm-ca host bootstrap; certificates renewed by ssh-hsm-ca-renew.timer.\n");
        foreach (var path in written.Take(keyFiles.Count))
        {
            dropIn.Append(CultureInfo.InvariantCulture, $"HostCertificate {Path.GetFullPath(path)}\n");
        }

        dropIn.Append(CultureInfo.InvariantCulture, $"TrustedUserCAKeys {Path.GetFullPath(userCaPath)}\n");
        if (revokedKeys is not null)
        {
            dropIn.Append(CultureInfo.InvariantCulture, $"RevokedKeys {Path.GetFullPath(revokedKeys)}\n");
        }

        var dropInPath = Path.Combine(dropInDir, "ssh-hsm-ca.conf");
        FileOutput.WriteAtomically(dropInPath, dropIn.ToString(), PublicMode);
        written.Add(dropInPath);
        var first = response.Certificates[0];
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { principals = first.Principals, serials = response.Certificates.Select(c => c.Serial), validBefore = first.ValidBefore, files = written })).ConfigureAwait(false);
        }
        else
        {
            await Console.Out.WriteLineAsync($"Certified {keyFiles.Count} host key(s) as {string.Join(", ", first.Principals)} until {LoginCommands.Format(first.ValidBefore)} UTC.\nWrote:\n  {string.Join("\n  ", written)}\nNow check and reload sshd:  sshd -t && systemctl reload ssh").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> RenewAsync(Connection connection, Queue<string> arguments)
    {
        var sshDir = "/etc/ssh";
        ulong? within = null;
        ulong validity = 0;
        var json = false;
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--ssh-dir":
                    sshDir = Program.Value(arguments, argument);
                    break;
                case "--if-expires-within":
                    within = ParseDuration(Program.Value(arguments, argument), argument);
                    break;
                case "--validity":
                    validity = ParseDuration(Program.Value(arguments, argument), argument);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    throw new UsageException($"unexpected '{argument}'");
            }
        }

        var certificates = Directory.GetFiles(sshDir, "ssh_host_*_key-cert.pub").Order(StringComparer.Ordinal).ToList();
        if (certificates.Count == 0)
        {
            throw new IOException($"no host certificates (ssh_host_*_key-cert.pub) in {sshDir}: bootstrap the host first");
        }

        var client = connection.CreateClient();
        var results = new List<object>();
        foreach (var path in certificates)
        {
            var current = SshCertificate.ParseLine(CliFiles.ReadText(path));
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (within is { } threshold && current.ValidBefore > now + threshold)
            {
                results.Add(new { file = path, renewed = false, validBefore = current.ValidBefore });
                if (!json)
                {
                    await Console.Out.WriteLineAsync($"{path}: valid until {LoginCommands.Format(current.ValidBefore)} UTC, not renewed").ConfigureAwait(false);
                }

                continue;
            }

            var challenge = await client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = current.ToOpenSshLine() }).ConfigureAwait(false);
            var signature = SignWithHostKey(path[..^"-cert.pub".Length], challenge.Namespace, challenge.Message.ToByteArray());
            var renewed = (await client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = signature, ValiditySeconds = validity, RequestId = "renew" }).ConfigureAwait(false)).Certificate;
            FileOutput.WriteAtomically(path, SshCertificate.ParseLine(renewed.Certificate).ToOpenSshLine() + "\n", PublicMode);
            results.Add(new { file = path, renewed = true, serial = renewed.Serial, validBefore = renewed.ValidBefore });
            if (!json)
            {
                await Console.Out.WriteLineAsync($"{path}: renewed, serial {renewed.Serial}, valid until {LoginCommands.Format(renewed.ValidBefore)} UTC").ConfigureAwait(false);
            }
        }

        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(results)).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The proof of possession: <c>ssh-keygen -Y sign</c> with the host's private key (the CLI never reads it).</summary>
    private static string SignWithHostKey(string privateKey, string ns, byte[] message)
    {
        var directory = Directory.CreateTempSubdirectory("ssh-hsm-ca-renew-");
        try
        {
            var file = Path.Combine(directory.FullName, "challenge");
            File.WriteAllBytes(file, message);
            var start = new System.Diagnostics.ProcessStartInfo("ssh-keygen") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-q", "-Y", "sign", "-n", ns, "-f", privateKey, file })
            {
                start.ArgumentList.Add(a);
            }

            using var process = System.Diagnostics.Process.Start(start) ?? throw new IOException("cannot run ssh-keygen");
            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000) || process.ExitCode != 0)
            {
                throw new IOException($"ssh-keygen -Y sign with {privateKey} failed: {error.Trim()}");
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
    private static bool IsTokenText(string text) =>
        text.StartsWith("shcbt_", StringComparison.Ordinal) && text.Length <= 128 && text.All(c => c is > ' ' and < (char)127);

    private static List<string> HostKeyFiles(string sshDir)
    {
        var files = Directory.GetFiles(sshDir, "ssh_host_*_key.pub").Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new IOException($"no host keys (ssh_host_*_key.pub) in {sshDir}");
    }

    /// <summary>"3600", "90s", "30m", "12h", "7d".</summary>
    internal static ulong ParseDuration(string text, string option)
    {
        var unit = text.Length > 0 && char.IsAsciiLetter(text[^1]) ? text[^1] : 's';
        var number = char.IsAsciiLetter(text.Length > 0 ? text[^1] : '0') ? text[..^1] : text;
        var multiplier = unit switch { 's' => 1UL, 'm' => 60UL, 'h' => 3600UL, 'd' => 86400UL, _ => 0UL };
        return multiplier > 0 && ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 && value < ulong.MaxValue / multiplier
            ? value * multiplier
            : throw new UsageException($"{option} takes a duration like 3600, 90s, 30m, 12h or 7d, not '{text}'");
    }
}
