using System.CommandLine;
using Grpc.Core;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Cli.Commands.Certificates;

/// <summary>
/// <c>inspect CERT</c>: what ssh-keygen -L shows, the time left, whether the signature verifies,
/// and (with a connection) whether this CA issued it: signed by one of its keys and in its audit
/// log with exactly these bytes, and whether the CA's KRL (or the one given with --krl) revokes it.
/// Exit 1 when the signature does not verify, the CA did not issue it, or it is revoked.
/// </summary>
internal static class InspectCommand
{
    public static Command Create(GlobalOptions global)
    {
        var file = new Argument<string>("CERT") { Description = "an OpenSSH certificate file (KEY-cert.pub)" };
        var krlOption = new Option<string?>("--krl") { Description = "check against this KRL file instead of the CA's current one", HelpName = "KRL" };
        var command = new Command("inspect", "what ssh-keygen -L shows, time left, and (with a connection) whether this CA issued it and whether its KRL revokes it") { file, krlOption };
        command.SetAction(async (result, cancel) =>
        {
            var path = result.GetValue(file)!;
            var certificate = SshCertificate.ParseLine(CliFiles.ReadText(path));
            await Console.Out.WriteAsync(SshCertificateListing.Format(certificate, path)).ConfigureAwait(false);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var signature = certificate.VerifySignature();
            await Console.Out.WriteLineAsync($"        Time left: {TimeText.Left(certificate.ValidAfter, certificate.ValidBefore, now)}").ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"        Signature: {signature}").ConfigureAwait(false);
            var connection = global.Connection(result);
            var revoked = false;
            if (result.GetValue(krlOption) is { } krlFile)
            {
                var krl = Ssh.Krl.SshKrl.Parse(CliFiles.ReadBytes(krlFile, Ssh.Krl.SshKrl.MaxLength));
                revoked = krl.IsRevoked(certificate);
                await Console.Out.WriteLineAsync($"       Revocation: {(revoked ? "REVOKED" : "not revoked")} by {krlFile} (KRL version {krl.Version})").ConfigureAwait(false);
            }

            if (signature != SignatureVerification.Valid)
            {
                // A certificate whose signature does not verify was issued by nobody.
                if (connection.IsConfigured)
                {
                    await Console.Out.WriteLineAsync("        Issued by this CA: no (the signature does not verify)").ConfigureAwait(false);
                }

                return 1;
            }

            if (!connection.IsConfigured)
            {
                return revoked ? 1 : 0;
            }

            var client = connection.CreateClient();
            var verdict = await VerdictAsync(client, certificate, cancel).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"        Issued by this CA: {verdict}").ConfigureAwait(false);
            if (result.GetValue(krlOption) is null)
            {
                var (bytes, krlSignature, version) = await KrlInstaller.FetchAsync(client, cancel).ConfigureAwait(false);
                var keys = await client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest(), cancellationToken: cancel).ConfigureAwait(false);
                var signed = TrustInstaller.UserCaKeys(keys).Any(k => SshSig.ParseArmored(krlSignature).Verifies(k, KrlSignature.Namespace, bytes));
                revoked = Ssh.Krl.SshKrl.Parse(bytes).IsRevoked(certificate);
                await Console.Out.WriteLineAsync($"       Revocation: {(revoked ? "REVOKED" : "not revoked")} (the CA's KRL version {version}{(signed ? string.Empty : ", whose signature DOES NOT VERIFY")})").ConfigureAwait(false);
            }

            return verdict.StartsWith("yes", StringComparison.Ordinal) && !revoked ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Signed by this CA's key, and the audit log holds that serial with exactly these bytes: a
    /// valid signature alone would vouch for a certificate the key signed outside this CA.
    /// </summary>
    private static async Task<string> VerdictAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, SshCertificate certificate, CancellationToken cancel)
    {
        var keys = await client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest(), cancellationToken: cancel).ConfigureAwait(false);
        var caKey = keys.Keys.FirstOrDefault(k => SshPublicKey.ParseLine(k.PublicKey).Equals(certificate.SignatureKey));
        var wanted = certificate.Type == SshCertificateType.User ? CaScope.User : CaScope.Host;
        if (caKey is null ? !certificate.SignatureKey.Equals(SshPublicKey.ParseLine(certificate.Type == SshCertificateType.User ? keys.UserCaPublicKey : keys.HostCaPublicKey)) : caKey.Ca != wanted)
        {
            return "no (signed by another CA key)";
        }

        if (caKey is { State: Protos.V1.CaKeyState.Revoked })
        {
            return $"no (signed by the CA key {caKey.Name}, which is revoked)";
        }

        try
        {
            var record = (await client.GetCertificateAsync(new GetCertificateRequest { Serial = certificate.Serial }, cancellationToken: cancel).ConfigureAwait(false)).Record;
            var recorded = record.Certificate.Length > 0 ? SshCertificate.ParseLine(record.Certificate) : null;
            return recorded is not null && recorded.ToOpenSshLine() == certificate.ToOpenSshLine()
                ? $"yes (serial {certificate.Serial}, issued to {record.Caller})"
                : $"no (the audit log's serial {certificate.Serial} is another certificate)";
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return $"no (serial {certificate.Serial} is not in the audit log)";
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated)
        {
            return $"unknown: signed by this CA's key, but the audit log is not readable with these credentials ({e.StatusCode})";
        }
    }
}
