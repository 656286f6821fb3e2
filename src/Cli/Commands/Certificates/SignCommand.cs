using System.CommandLine;
using System.Globalization;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.Certificates;

/// <summary><c>sign KEY.pub</c>: certifies a public key; writes KEY-cert.pub beside it, atomically.</summary>
internal static class SignCommand
{
    public static Command Create(GlobalOptions global)
    {
        var host = new Option<bool>("--host") { Description = "a host certificate (default: a user certificate)" };
        var principals = new Option<string[]>("--principal", "-n") { Description = "a principal to ask for (repeat; default: all the policy grants)", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
        var validity = GlobalOptions.Duration("--validity", "how long the certificate is valid (default: the policy's)");
        var requestId = new Option<string?>("--request-id") { Description = "an id of yours, in the key id and the audit log", HelpName = "ID" };
        var key = new Argument<string>("KEY.pub") { Description = "the OpenSSH public key file" };
        var command = new Command("sign", "certify a public key; writes KEY-cert.pub") { host, principals, validity, requestId, key };
        command.SetAction(async (result, cancel) =>
        {
            var keyFile = result.GetValue(key)!;
            if (!keyFile.EndsWith(".pub", StringComparison.Ordinal))
            {
                throw new UsageException($"sign needs a public key file ending in .pub, not '{keyFile}'");
            }

            var publicKey = SshPublicKey.ParseLine(CliFiles.ReadText(keyFile), out var comment);
            var client = global.Connection(result).CreateClient();
            var names = result.GetValue(principals) ?? [];
            IssuedCertificate response;
            if (result.GetValue(host))
            {
                var request = new SignHostCertificateRequest { PublicKey = publicKey.ToOpenSshLine(), ValiditySeconds = result.GetValue(validity), RequestId = result.GetValue(requestId) ?? string.Empty };
                request.Principals.AddRange(names);
                response = (await client.SignHostCertificateAsync(request, cancellationToken: cancel).ConfigureAwait(false)).Certificate;
            }
            else
            {
                var request = new SignUserCertificateRequest { PublicKey = publicKey.ToOpenSshLine(), ValiditySeconds = result.GetValue(validity), RequestId = result.GetValue(requestId) ?? string.Empty };
                request.Principals.AddRange(names);
                response = (await client.SignUserCertificateAsync(request, cancellationToken: cancel).ConfigureAwait(false)).Certificate;
            }

            var certificate = SshCertificate.ParseLine(response.Certificate);
            var output = keyFile[..^".pub".Length] + "-cert.pub";

            // Atomically, replacing whatever is at the path (a symlink is replaced, never followed).
            FileOutput.WriteAtomically(output, certificate.ToOpenSshLine(comment) + "\n", FileOutput.PublicMode);
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{output}: serial {response.Serial}, principals {string.Join(",", response.Principals)}, valid {SshCertificateListing.FormatValidity(response.ValidAfter, response.ValidBefore)} UTC, key id \"{response.KeyId}\"")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
