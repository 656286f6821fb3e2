using System.CommandLine;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary><c>ca keys</c>: the user CA keys in force (for sshd's TrustedUserCAKeys), the @cert-authority lines, and every key's state.</summary>
internal static class CaKeysCommand
{
    public static Command Create(GlobalOptions global)
    {
        var pattern = HostsOption();
        var command = new Command("keys", "print the user CA keys (for TrustedUserCAKeys) and the @cert-authority lines, with each key's state") { pattern };
        command.SetAction(async (result, cancel) =>
        {
            var reply = await FetchAsync(global.Connection(result), result.GetValue(pattern)!, cancel).ConfigureAwait(false);
            var trusted = reply.TrustedUserCaKeys.Length > 0 ? reply.TrustedUserCaKeys : reply.UserCaPublicKey + "\n";
            var knownHosts = reply.KnownHosts.Length > 0 ? reply.KnownHosts : reply.KnownHostsLine + "\n";
            var states = string.Concat(reply.Keys.Select(k => $"#   {(k.Ca == CaScope.User ? "user" : "host")} {CaStatusCommand.StateName(k.State),-7} {k.Fingerprint} {k.Name}{(k.Trusted ? string.Empty : " (not trusted)")}\n"));
            await Console.Out.WriteAsync($"# TrustedUserCAKeys (sshd):\n{trusted}# known_hosts:\n{knownHosts}{(states.Length > 0 ? "# The CA's keys:\n" + states : string.Empty)}").ConfigureAwait(false);
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
