using System.CommandLine;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary><c>ca keys</c>: the user CA key (for sshd's TrustedUserCAKeys) and a @cert-authority line.</summary>
internal static class CaKeysCommand
{
    public static Command Create(GlobalOptions global)
    {
        var pattern = HostsOption();
        var command = new Command("keys", "print the user CA key (for TrustedUserCAKeys) and a @cert-authority line") { pattern };
        command.SetAction(async (result, cancel) =>
        {
            var reply = await FetchAsync(global.Connection(result), result.GetValue(pattern)!, cancel).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"# TrustedUserCAKeys (sshd):\n{reply.UserCaPublicKey}\n# known_hosts:\n{reply.KnownHostsLine}").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The host pattern of a @cert-authority line.</summary>
    internal static Option<string> HostsOption() => new("--hosts", "--known-hosts")
    {
        Description = "the host pattern of the @cert-authority line, e.g. *.example.com",
        HelpName = "PATTERN",
        DefaultValueFactory = _ => "*",
    };

    internal static async Task<GetCaPublicKeysResponse> FetchAsync(Connection connection, string pattern, CancellationToken cancel) =>
        await connection.CreateClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = pattern }, cancellationToken: cancel).ConfigureAwait(false);
}
