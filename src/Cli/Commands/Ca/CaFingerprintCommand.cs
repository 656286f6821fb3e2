using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Cli.Commands.User;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary><c>ca fingerprint PEM</c>: the fingerprint of a TLS root, for an operator to give to users of <c>setup</c>. No connection.</summary>
internal static class CaFingerprintCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("PEM") { Description = "the CA's TLS root certificate, e.g. /etc/ssh-hsm-ca/tls/ca.pem" };
        var command = new Command("fingerprint", "print the SHA-256 fingerprint of a TLS root certificate, for ssh-hsm-ca setup --fingerprint") { file };
        command.SetAction(async result =>
        {
            var path = result.GetValue(file)!;
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(CliFiles.ReadText(path));
            if (certificates.Count == 0)
            {
                throw new IOException($"{path}: no PEM certificate");
            }

            foreach (var certificate in certificates)
            {
                await Console.Out.WriteLineAsync($"{SetupCommand.Fingerprint(certificate)}  {certificate.Subject}").ConfigureAwait(false);
                certificate.Dispose();
            }

            return 0;
        });
        return command;
    }
}
