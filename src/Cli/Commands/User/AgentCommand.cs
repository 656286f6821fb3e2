using System.CommandLine;
using System.Globalization;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Cli.Commands.User;

/// <summary>
/// <c>agent</c>: the certificates login put into ssh-agent, when each expires, and where each may
/// be used (the destination constraint login set; the agent protocol does not list constraints,
/// so login remembers them).
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var command = new Command("agent", "the certificates login put into ssh-agent: principals, expiry, and where each may be used");
        command.SetAction(async (result, cancel) =>
        {
            using var agent = SshAgentClient.Connect();
            var remembered = AgentDestinations.Recall();
            var shown = 0;
            foreach (var identity in agent.List().Where(i => i.Comment.StartsWith(LoginCommand.CommentPrefix, StringComparison.Ordinal)))
            {
                SshCertificate certificate;
                try
                {
                    certificate = SshCertificate.Parse(identity.Blob);
                }
                catch (Ssh.SshFormatException)
                {
                    continue;
                }

                shown++;
                var entry = remembered.FirstOrDefault(e => string.Equals(e.Fingerprint, certificate.PublicKey.GetSha256Fingerprint(), StringComparison.Ordinal));
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{certificate.KeyId}\n  key:        {certificate.PublicKey.KeyType} {certificate.PublicKey.GetSha256Fingerprint()}\n  principals: {string.Join(", ", certificate.Principals)}\n  expires:    {TimeText.Utc(certificate.ValidBefore)}\n{(entry is null ? "  usable for:  not recorded by this login (added elsewhere)" : AgentDestinations.Describe(entry.HopList))}")).ConfigureAwait(false);
            }

            if (shown == 0)
            {
                await Console.Error.WriteLineAsync("no certificate from ssh-hsm-ca login is in ssh-agent").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
