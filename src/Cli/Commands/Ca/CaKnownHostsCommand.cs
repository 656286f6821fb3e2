using System.CommandLine;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary><c>ca known-hosts</c>: only the @cert-authority line, for a known_hosts file.</summary>
internal static class CaKnownHostsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var pattern = CaKeysCommand.HostsOption();
        var command = new Command("known-hosts", "print only the @cert-authority lines for known_hosts (every host CA key in force)") { pattern };
        command.SetAction(async (result, cancel) =>
        {
            var reply = await CaKeysCommand.FetchAsync(global.Connection(result), result.GetValue(pattern)!, cancel).ConfigureAwait(false);
            await Console.Out.WriteAsync(reply.KnownHosts.Length > 0 ? reply.KnownHosts : reply.KnownHostsLine + "\n").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
