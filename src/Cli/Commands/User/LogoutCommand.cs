using System.CommandLine;

namespace SshHsmCa.Cli.Commands.User;

/// <summary><c>logout</c>: removes from ssh-agent what <c>login</c> added (identities commented ssh-hsm-ca:…).</summary>
internal static class LogoutCommand
{
    public static Command Create()
    {
        var command = new Command("logout", "remove what login added to ssh-agent");
        command.SetAction(async _ =>
        {
            using var agent = SshAgentClient.Connect();
            var removed = agent.List().Where(i => i.Comment.StartsWith(LoginCommand.CommentPrefix, StringComparison.Ordinal)).Count(i => agent.Remove(i.Blob));
            await Console.Out.WriteLineAsync(removed == 0 ? "Nothing to remove: no ssh-hsm-ca identity in ssh-agent." : $"Removed {removed} identities (key and certificate) from ssh-agent.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
