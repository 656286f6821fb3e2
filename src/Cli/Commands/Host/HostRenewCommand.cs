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
        var resetOption = new Option<string?>("--reset-trust")
        {
            Description = "start this host's trust state over from the user CA keys in FILE (checked out of band, e.g. ssh-hsm-ca ca keys on the appliance), for a host a leaked CA key got to first; the CA's trust set and KRL must still verify with them",
            HelpName = "FILE.pub",
        };
        var jsonOption = GlobalOptions.Json();
        var command = new Command("renew", "renew host certificates by proving possession of the host keys") { sshDirOption, withinOption, validityOption, resetOption, jsonOption };
        command.SetAction(async (result, cancel) =>
        {
            var connection = global.Connection(result);
            var sshDir = result.GetValue(sshDirOption)!;
            ulong? within = result.GetResult(withinOption) is { Implicit: false } ? result.GetValue(withinOption) : null;
            var validity = result.GetValue(validityOption);
            var json = result.GetValue(jsonOption);
            var reset = result.GetValue(resetOption);
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
            // with this host's proof, so that the CA counts the host as having it, believed by the
            // trust rule against what this host's trust file holds; then the KRL against the state
            // that set leaves. Both are checked before either is written: a refusal (exit 4 or 5)
            // leaves both files as they were. --reset-trust starts over from keys an operator
            // checked out of band, for a host a leaked key got to first (docs/threat-model.md).
            var signers = Path.Combine(sshDir, "ssh-hsm-ca-user-ca.pub");
            var krlPath = Path.Combine(sshDir, "ssh-hsm-ca-revoked.krl");
            if (File.Exists(signers) || reset is not null)
            {
                var trustFile = reset is { } anchors ? TrustFile.Fresh(signers, null, TrustFile.ReadKeys(anchors)) : TrustFile.UserCaKeys(signers);
                var proven = certificates[0];
                var challenge = await client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = SshCertificate.ParseLine(CliFiles.ReadText(proven)).ToOpenSshLine() }, cancellationToken: cancel).ConfigureAwait(false);
                var proof = HostFiles.SignWithHostKey(proven[..^"-cert.pub".Length], challenge.Namespace, challenge.Message.ToByteArray());
                var fetched = await client.GetTrustSetAsync(new GetTrustSetRequest { ChallengeId = challenge.ChallengeId, Signature = proof }, cancellationToken: cancel).ConfigureAwait(false);
                var set = TrustInstaller.Check(fetched, trustFile);
                bool trustWritten;
                KrlInstaller.Outcome? krlOutcome = null;
                if (File.Exists(krlPath))
                {
                    var (krl, signature, version) = await KrlInstaller.FetchAsync(client, cancel).ConfigureAwait(false);
                    krlOutcome = KrlInstaller.Install(krlPath, krl, signature, trustFile, version);
                    trustWritten = krlOutcome.TrustFileWritten;
                }
                else
                {
                    trustWritten = trustFile.Save();
                }

                results.Add(new { file = signers, renewed = trustWritten, trustSetVersion = set.Version });
                if (!json)
                {
                    await Console.Out.WriteLineAsync($"{signers}: trust set version {set.Version}{(trustWritten ? " installed" : ", current")} ({trustFile.State.Trusted(SshCertificateType.User).Count} user CA key(s))").ConfigureAwait(false);
                }

                if (krlOutcome is { } outcome)
                {
                    results.Add(new { file = krlPath, renewed = outcome.Written, krlVersion = outcome.Version });
                    if (!json)
                    {
                        await Console.Out.WriteLineAsync($"{krlPath}: KRL version {outcome.Version}{(outcome.Written ? " installed" : ", current")}").ConfigureAwait(false);
                    }
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
