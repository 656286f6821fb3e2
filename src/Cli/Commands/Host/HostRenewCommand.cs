using System.CommandLine;
using System.Text.Json;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Cli.Commands.Host;

/// <summary>
/// <c>host renew</c>: renews host certificates by proving possession of the host keys (SSHSIG over
/// a challenge), and refreshes the CA's KRL where host bootstrap installed it.
/// </summary>
internal static class HostRenewCommand
{
    private const UnixFileMode PublicMode = FileOutput.PublicMode;

    public static Command Create(GlobalOptions global)
    {
        var sshDirOption = new Option<string>("--ssh-dir") { Description = "where the host keys and certificates are", HelpName = "DIR", DefaultValueFactory = _ => "/etc/ssh" };
        var withinOption = GlobalOptions.Duration("--if-expires-within", "renew only certificates that expire within this time");
        var validityOption = GlobalOptions.Duration("--validity", "how long the new certificates are valid (default: the policy's)");
        var jsonOption = GlobalOptions.Json();
        var command = new Command("renew", "renew host certificates by proving possession of the host keys") { sshDirOption, withinOption, validityOption, jsonOption };
        command.SetAction(async (result, cancel) =>
        {
            var connection = global.Connection(result);
            var sshDir = result.GetValue(sshDirOption)!;
            ulong? within = result.GetResult(withinOption) is { Implicit: false } ? result.GetValue(withinOption) : null;
            var validity = result.GetValue(validityOption);
            var json = result.GetValue(jsonOption);
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
                        await Console.Out.WriteLineAsync($"{path}: valid until {TimeText.Utc(current.ValidBefore)}, not renewed").ConfigureAwait(false);
                    }

                    continue;
                }

                var challenge = await client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = current.ToOpenSshLine() }, cancellationToken: cancel).ConfigureAwait(false);
                var signature = HostFiles.SignWithHostKey(path[..^"-cert.pub".Length], challenge.Namespace, challenge.Message.ToByteArray());
                var renewed = (await client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = signature, ValiditySeconds = validity, RequestId = "renew" }, cancellationToken: cancel).ConfigureAwait(false)).Certificate;
                FileOutput.WriteAtomically(path, SshCertificate.ParseLine(renewed.Certificate).ToOpenSshLine() + "\n", PublicMode);
                results.Add(new { file = path, renewed = true, serial = renewed.Serial, validBefore = renewed.ValidBefore });
                if (!json)
                {
                    await Console.Out.WriteLineAsync($"{path}: renewed, serial {renewed.Serial}, valid until {TimeText.Utc(renewed.ValidBefore)}").ConfigureAwait(false);
                }
            }

            // The trust set first (a rotation may bring the key the next KRL is signed by): fetched
            // with this host's proof, so that the CA counts the host as having it, verified against
            // the user CA keys this host already trusts, installed where TrustedUserCAKeys reads.
            var signers = Path.Combine(sshDir, "ssh-hsm-ca-user-ca.pub");
            if (File.Exists(signers))
            {
                var proven = certificates[0];
                var challenge = await client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = SshCertificate.ParseLine(CliFiles.ReadText(proven)).ToOpenSshLine() }, cancellationToken: cancel).ConfigureAwait(false);
                var proof = HostFiles.SignWithHostKey(proven[..^"-cert.pub".Length], challenge.Namespace, challenge.Message.ToByteArray());
                var fetched = await client.GetTrustSetAsync(new GetTrustSetRequest { ChallengeId = challenge.ChallengeId, Signature = proof }, cancellationToken: cancel).ConfigureAwait(false);
                var trust = TrustInstaller.InstallUserCaKeys(signers, TrustInstaller.Verify(fetched, KrlInstaller.ReadSigners(signers), signers));
                results.Add(new { file = signers, renewed = trust.Written, trustSetVersion = trust.Version });
                if (!json)
                {
                    await Console.Out.WriteLineAsync($"{signers}: trust set version {trust.Version}{(trust.Written ? " installed" : ", current")} ({trust.Set.Trusted(SshCertificateType.User).Count} user CA key(s))").ConfigureAwait(false);
                }
            }

            // The KRL bootstrap installed, verified against the user CA keys this host trusts.
            var krlPath = Path.Combine(sshDir, "ssh-hsm-ca-revoked.krl");
            if (File.Exists(krlPath) && File.Exists(signers))
            {
                var (krl, signature, version) = await KrlInstaller.FetchAsync(client, cancel).ConfigureAwait(false);
                var outcome = KrlInstaller.Install(krlPath, krl, signature, KrlInstaller.ReadSigners(signers), version);
                results.Add(new { file = krlPath, renewed = outcome.Written, krlVersion = outcome.Version });
                if (!json)
                {
                    await Console.Out.WriteLineAsync($"{krlPath}: KRL version {outcome.Version}{(outcome.Written ? " installed" : ", current")}").ConfigureAwait(false);
                }
            }

            if (json)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(results)).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
