using System.CommandLine;
using System.Text.Json;

namespace SshHsmCa.Cli.Commands.Revocation;

/// <summary>
/// <c>krl --out FILE</c>: fetches the CA's KRL and installs it where sshd's RevokedKeys (or ssh's
/// RevokedHostKeys) reads it, only after checking its SSHSIG against the pinned CA key, its format
/// and that it is not older than the installed one. Run by ssh-hsm-ca-krl.timer.
/// </summary>
internal static class KrlCommand
{
    public static Command Create(GlobalOptions global)
    {
        var outOption = new Option<string>("--out", "-o") { Description = "where to install the KRL", HelpName = "FILE", DefaultValueFactory = _ => KrlInstaller.DefaultHostPath };
        var signerOption = new Option<string>("--signer") { Description = "the trust file a KRL is checked against and whose state it updates (the TrustedUserCAKeys file host bootstrap wrote), or a plain file of CA key lines (read, never written)", HelpName = "FILE.pub", DefaultValueFactory = _ => "/etc/ssh/ssh-hsm-ca-user-ca.pub" };
        var fromOption = new Option<string?>("--from") { Description = "install this KRL file instead of fetching one (with --signature)", HelpName = "KRL" };
        var signatureOption = new Option<string?>("--signature") { Description = "the armored SSHSIG of --from (curl https://CA:8444/krl.sig)", HelpName = "SIG" };
        var jsonOption = GlobalOptions.Json();
        var command = new Command("krl", """
            install the CA's KRL after verifying it: its SSHSIG by the pinned CA key, its format, and
            that it is not older than the installed one; written atomically, the old file kept on any error.
            Exit codes: 0 installed or up to date, 1 failed, 3 CA unreachable, 4 the KRL failed
            verification, 5 it is older than the installed one (rollback refused).
            """)
        {
            outOption, signerOption, fromOption, signatureOption, jsonOption,
        };
        command.SetAction(async (result, cancel) =>
        {
            var path = result.GetValue(outOption)!;
            var signers = TrustFile.Signers(result.GetValue(signerOption)!);
            byte[] krl;
            string signature;
            ulong? announced = null;
            if (result.GetValue(fromOption) is { } from)
            {
                var signatureFile = result.GetValue(signatureOption) ?? throw new UsageException("--from needs --signature: a KRL is installed only with its signature");
                krl = CliFiles.ReadBytes(from, Ssh.Krl.SshKrl.MaxLength);
                signature = CliFiles.ReadText(signatureFile, 16 * 1024);
            }
            else
            {
                (krl, signature, var version) = await KrlInstaller.FetchAsync(global.Connection(result).CreateClient(), cancel).ConfigureAwait(false);
                announced = version;
            }

            var outcome = KrlInstaller.Install(path, krl, signature, signers, announced);
            if (result.GetValue(jsonOption))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { file = path, written = outcome.Written, version = outcome.Version, previous = outcome.Previous, bytes = outcome.Bytes })).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync(outcome.Written
                    ? $"{path}: installed KRL version {outcome.Version} ({outcome.Bytes} bytes){(outcome.Previous is { } p ? $", was version {p}" : string.Empty)}"
                    : $"{path}: KRL version {outcome.Version} is installed and current").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
