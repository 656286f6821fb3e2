using System.CommandLine;
using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Revocation;

/// <summary><c>revocations [list]</c>: recorded revocations, newest first (the policy's 'audit' right).</summary>
internal static class RevocationsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("revocations", "recorded revocations, newest first (operators: the policy's 'audit' right)");
        var list = new Command("list", "recorded revocations, newest first");
        foreach (var target in new[] { command, list })
        {
            var limit = new Option<uint>("--limit") { Description = "at most this many (1..500)", HelpName = "N", DefaultValueFactory = _ => 50 };
            var json = GlobalOptions.Json();
            target.Options.Add(limit);
            target.Options.Add(json);
            target.SetAction(async (result, cancel) =>
            {
                var response = await global.Connection(result).CreateClient().ListRevocationsAsync(new ListRevocationsRequest { PageSize = Math.Clamp(result.GetValue(limit), 1, 500) }, cancellationToken: cancel).ConfigureAwait(false);
                if (result.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(response.Revocations.Select(r => new
                    {
                        id = r.Id, createdAt = r.CreatedAt, caller = r.Caller, authMethod = r.AuthMethod, reason = r.Reason, selector = r.Selector, krlVersion = r.KrlVersion,
                        items = r.Items.Select(i => new { kind = i.Kind, value = i.Value, ca = i.Ca }),
                    }))).ConfigureAwait(false);
                    return 0;
                }

                foreach (var r in response.Revocations)
                {
                    await Console.Out.WriteLineAsync(Describe(r)).ConfigureAwait(false);
                }

                return 0;
            });
        }

        command.Subcommands.Add(list);
        return command;
    }

    /// <summary>One revocation: id, when, who, what, why, and its KRL entries.</summary>
    internal static string Describe(Protos.V1.Revocation r) =>
        $"{r.Id}\t{TimeText.Utc(r.CreatedAt)}\t{r.Caller} ({r.AuthMethod})\t{r.Selector}\tKRL v{r.KrlVersion}\t\"{r.Reason}\""
        + string.Concat(r.Items.Take(20).Select(i => $"\n\t{i.Kind} {(i.Ca.Length > 0 ? i.Ca + " CA " : string.Empty)}{i.Value}"))
        + (r.Items.Count > 20 ? $"\n\t… {r.Items.Count - 20} more" : string.Empty);
}
