using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Keys;

/// <summary><c>key list</c>: enrolled security keys, one's own or (operators, the 'audit' right) another caller's.</summary>
internal static class KeyListCommand
{
    public static Command Create(GlobalOptions global)
    {
        var caller = new Option<string?>("--caller") { Description = "another caller's keys, or * for everyone's (operators: the 'audit' right)", HelpName = "NAME" };
        var idToken = new Option<string?>("--id-token-file") { Description = "authenticate with this ID token", HelpName = "FILE" };
        var json = GlobalOptions.Json();
        var command = new Command("list", "enrolled security keys (revoke one with: ssh-hsm-ca revoke --key FILE.pub --reason TEXT)") { caller, idToken, json };
        command.SetAction(async (result, cancel) =>
        {
            var connection = global.Connection(result);
            var bearer = result.GetValue(idToken) is { } file ? "Bearer " + CliFiles.ReadText(file).Trim() : null;
            var response = await connection.CreateClient(bearer).ListSecurityKeysAsync(new ListSecurityKeysRequest { Caller = result.GetValue(caller) ?? string.Empty }, cancellationToken: cancel).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(response.Keys.Select(k => new { k.Fingerprint, k.Caller, k.Aaguid, k.UserVerified, k.Backup, k.Format, k.CertificateSubject, k.RootSubject, k.EnrolledAt, k.PublicKey }))).ConfigureAwait(false);
                return 0;
            }

            foreach (var key in response.Keys)
            {
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{key.Fingerprint}  {key.Caller}  model {key.Aaguid}  uv={(key.UserVerified ? "yes" : "no")}  {TimeText.Utc(key.EnrolledAt)}")).ConfigureAwait(false);
            }

            if (response.Keys.Count == 0)
            {
                await Console.Error.WriteLineAsync("no enrolled security keys").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }
}
