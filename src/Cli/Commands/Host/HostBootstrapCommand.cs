using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.Host;

/// <summary>
/// <c>host bootstrap</c>: certifies every ssh_host_*_key.pub with a one-time token and writes,
/// atomically, the certificates, the user CA file, the CA's KRL (verified against that user CA
/// key) and the sshd drop-in naming them, in that order: RevokedKeys never names a missing file.
/// </summary>
internal static class HostBootstrapCommand
{
    private const UnixFileMode PublicMode = FileOutput.PublicMode;

    public static Command Create(GlobalOptions global)
    {
        var tokenOption = new Option<string?>("--token") { Description = "the bootstrap token (prefer --token-file: a command line is visible to other users)", HelpName = "TOKEN" };
        var tokenFileOption = new Option<string?>("--token-file") { Description = "a file holding the bootstrap token and nothing else", HelpName = "FILE" };
        var sshDirOption = new Option<string>("--ssh-dir") { Description = "where the host keys are", HelpName = "DIR", DefaultValueFactory = _ => "/etc/ssh" };
        var dropInOption = new Option<string>("--sshd-config-dir") { Description = "where the sshd drop-in ssh-hsm-ca.conf goes", HelpName = "DIR", DefaultValueFactory = _ => "/etc/ssh/sshd_config.d" };
        var revokedOption = new Option<string?>("--revoked-keys") { Description = "where the CA's KRL goes, for sshd's RevokedKeys (default: SSH_DIR/ssh-hsm-ca-revoked.krl)", HelpName = "KRL" };
        var principalsOption = new Option<string[]>("--principal", "-n") { Description = "a host name to ask for (repeat; default: all the token is bound to)", HelpName = "NAME" };
        var validityOption = GlobalOptions.Duration("--validity", "how long the certificates are valid (default: the policy's)");
        var jsonOption = GlobalOptions.Json();
        var command = new Command("bootstrap", "certify every ssh_host_*_key.pub with a one-time token; write the certificates, the user CA file and the sshd drop-in")
        {
            tokenOption, tokenFileOption, sshDirOption, dropInOption, revokedOption, principalsOption, validityOption, jsonOption,
        };
        command.SetAction(async (result, cancel) =>
        {
            var token = result.GetValue(tokenFileOption) is { } tokenFile ? HostFiles.ReadTokenFile(tokenFile)
                : result.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable("SSH_HSM_CA_BOOTSTRAP_TOKEN");
            if (string.IsNullOrEmpty(token))
            {
                throw new UsageException("host bootstrap needs --token-file, --token or SSH_HSM_CA_BOOTSTRAP_TOKEN");
            }

            token = token.Trim();
            if (!HostFiles.IsTokenText(token))
            {
                throw new UsageException("the bootstrap token is not one token (expected shcbt_<id>_<secret>, from ssh-hsm-ca host token)");
            }

            var connection = global.Connection(result);
            var sshDir = result.GetValue(sshDirOption)!;
            var dropInDir = result.GetValue(dropInOption)!;
            var revokedKeys = result.GetValue(revokedOption) ?? Path.Combine(sshDir, "ssh-hsm-ca-revoked.krl");
            var json = result.GetValue(jsonOption);
            var request = new BootstrapHostRequest { RequestId = "bootstrap", ValiditySeconds = result.GetValue(validityOption) };
            request.Principals.AddRange(result.GetValue(principalsOption) ?? []);
            var keyFiles = HostFiles.HostKeys(sshDir);
            foreach (var file in keyFiles)
            {
                request.PublicKeys.Add(SshPublicKey.ParseLine(CliFiles.ReadText(file)).ToOpenSshLine());
            }

            var response = await connection.CreateClient("Bootstrap " + token).BootstrapHostAsync(request, cancellationToken: cancel).ConfigureAwait(false);

            // The trust set is checked before anything is written, the KRL before its file and the
            // trust file are: both must be believed starting from the user CA key the CA answered with.
            var (krl, krlSignature, krlVersion) = await KrlInstaller.FetchAsync(connection.CreateClient(), cancel).ConfigureAwait(false);
            var userCa = SshPublicKey.ParseLine(response.UserCaPublicKey);
            var userCaPath = Path.Combine(sshDir, "ssh-hsm-ca-user-ca.pub");
            // A fresh trust state, anchored on the key the CA answered the one-time token with.
            var trust = TrustFile.Fresh(userCaPath, null, [userCa]);
            TrustInstaller.Check(await connection.CreateClient().GetTrustSetAsync(new GetTrustSetRequest(), cancellationToken: cancel).ConfigureAwait(false), trust);
            var written = new List<string>();
            for (var i = 0; i < keyFiles.Count; i++)
            {
                var path = keyFiles[i][..^".pub".Length] + "-cert.pub";
                FileOutput.WriteAtomically(path, SshCertificate.ParseLine(response.Certificates[i].Certificate).ToOpenSshLine() + "\n", PublicMode);
                written.Add(path);
            }

            // The KRL, then the trust file: every user CA key in force (next, active, retired), so
            // that a rotation under way holds, with the state the KRL's check left.
            KrlInstaller.Install(revokedKeys, krl, krlSignature, trust, krlVersion);
            written.Add(userCaPath);
            written.Add(revokedKeys);
            Directory.CreateDirectory(dropInDir);
            var dropIn = new StringBuilder("# Written by ssh-hsm-ca host bootstrap; certificates renewed by ssh-hsm-ca-renew.timer.\n");
            foreach (var path in written.Take(keyFiles.Count))
            {
                dropIn.Append(CultureInfo.InvariantCulture, $"HostCertificate {Path.GetFullPath(path)}\n");
            }

            dropIn.Append(CultureInfo.InvariantCulture, $"TrustedUserCAKeys {Path.GetFullPath(userCaPath)}\n");
            dropIn.Append(CultureInfo.InvariantCulture, $"# The CA's signed KRL, kept current by ssh-hsm-ca-krl.timer (ssh-hsm-ca krl).\nRevokedKeys {Path.GetFullPath(revokedKeys)}\n");

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
                await Console.Out.WriteLineAsync($"Certified {keyFiles.Count} host key(s) as {string.Join(", ", first.Principals)} until {TimeText.Utc(first.ValidBefore)}.\nWrote:\n  {string.Join("\n  ", written)}\nsshd uses them once it reloads its configuration (on a systemd host: sshd -t && systemctl reload ssh); keep them current with: systemctl enable --now ssh-hsm-ca-renew.timer ssh-hsm-ca-krl.timer").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
