using System.CommandLine;
using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Host;

/// <summary><c>host token NAME...</c>: a one-time bootstrap token (the policy's <c>tokens</c> right); the token alone on stdout.</summary>
internal static class HostTokenCommand
{
    public static Command Create(GlobalOptions global)
    {
        var names = new Argument<string[]>("NAME") { Description = "the host names the token is bound to", Arity = ArgumentArity.OneOrMore };
        var validity = GlobalOptions.Duration("--validity", "how long the token can be used (default 1h, at most 7d)");
        var json = GlobalOptions.Json();
        var command = new Command("token", "a one-time bootstrap token for these host names (operators: the 'tokens' right)") { names, validity, json };
        command.SetAction(async (result, cancel) =>
        {
            var request = new CreateBootstrapTokenRequest { ValiditySeconds = result.GetValue(validity) };
            request.HostNames.AddRange(result.GetValue(names) ?? []);
            var response = await global.Connection(result).CreateClient().CreateBootstrapTokenAsync(request, cancellationToken: cancel).ConfigureAwait(false);

            // The token alone on stdout, so "host token NAME > FILE" makes a --token-file; the
            // explanation goes to stderr.
            if (result.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { token = response.Token, tokenId = response.TokenId, expiresAt = response.ExpiresAt, hostNames = request.HostNames })).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync(response.Token).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"One use, for {string.Join(", ", request.HostNames)}, until {TimeText.Utc(response.ExpiresAt)}. On the host: ssh-hsm-ca --server URL --server-ca PEM host bootstrap --token-file FILE").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
