using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SshHsmCa.Cli.Commands.Audit;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.Revocation;

/// <summary>
/// <c>revoke</c>: takes trust back (the policy's 'revoke' right): certificates by serial; every
/// certificate issued with a key id, for a principal or to a caller (optionally since a date); a
/// key; a whole CA key. <c>--dry-run</c> lists what would be revoked.
/// </summary>
internal static class RevokeCommand
{
    public static Command Create(GlobalOptions global)
    {
        var serials = new Option<ulong[]>("--serial") { Description = "a certificate serial (repeat)", HelpName = "N", AllowMultipleArgumentsPerToken = true };
        var keyId = new Option<string?>("--key-id") { Description = "every certificate this CA issued with this key id", HelpName = "ID" };
        var principal = new Option<string?>("--principal") { Description = "every certificate this CA issued for this principal", HelpName = "NAME" };
        var caller = new Option<string?>("--caller") { Description = "every certificate this CA issued to this caller (as 'audit list' names callers)", HelpName = "NAME" };
        var since = new Option<ulong>("--since")
        {
            Description = "with --key-id, --principal or --caller: only certificates issued since (2026-11-01, 2026-11-01T08:00:00Z, or a duration ago: 7d)",
            HelpName = "WHEN",
            CustomParser = argument => ParseSince(argument.Tokens.Count == 1 ? argument.Tokens[0].Value : string.Empty, argument),
        };
        var key = new Option<string?>("--key") { Description = "a public key (or a certificate): the key and every certificate of it", HelpName = "FILE.pub" };
        var fingerprint = new Option<string?>("--key-fingerprint") { Description = "a key by its SHA256 fingerprint, as ssh-keygen -l prints it", HelpName = "SHA256:..." };
        var caKey = new Option<string?>("--ca-key") { Description = "a whole CA key: every certificate it signed", HelpName = "FILE.pub" };
        var user = new Option<bool>("--user") { Description = "serials, key ids, principals, callers: of the user CA only" };
        var host = new Option<bool>("--host") { Description = "serials, key ids, principals, callers: of the host CA only" };
        var reason = new Option<string>("--reason") { Description = "why (recorded with the revocation)", HelpName = "TEXT", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "list what would be revoked; write nothing" };
        var json = GlobalOptions.Json();
        var command = new Command("revoke", "revoke certificates or keys (operators: the policy's 'revoke' right); hosts pick it up with 'ssh-hsm-ca krl'")
        {
            serials, keyId, principal, caller, since, key, fingerprint, caKey, user, host, reason, dryRun, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(user) && r.GetValue(host))
            {
                r.AddError("--user and --host exclude each other (give neither for both CAs)");
            }
        });
        command.SetAction(async (result, cancel) =>
        {
            var request = new RevokeRequest
            {
                KeyId = result.GetValue(keyId) ?? string.Empty,
                Principal = result.GetValue(principal) ?? string.Empty,
                Caller = result.GetValue(caller) ?? string.Empty,
                IssuedSince = result.GetValue(since),
                PublicKey = result.GetValue(key) is { } keyFile ? CliFiles.ReadText(keyFile).Trim() : string.Empty,
                KeyFingerprint = result.GetValue(fingerprint) ?? string.Empty,
                CaPublicKey = result.GetValue(caKey) is { } caFile ? SshPublicKey.ParseLine(CliFiles.ReadText(caFile).Trim()).ToOpenSshLine() : string.Empty,
                Scope = result.GetValue(user) ? CaScope.User : result.GetValue(host) ? CaScope.Host : CaScope.Unspecified,
                Reason = result.GetValue(reason)!,
                DryRun = result.GetValue(dryRun),
            };
            request.Serials.AddRange(result.GetValue(serials) ?? []);
            var response = await global.Connection(result).CreateClient().RevokeAsync(request, cancellationToken: cancel).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    revocationId = response.RevocationId,
                    dryRun = request.DryRun,
                    krlVersion = response.KrlVersion,
                    certificates = response.Certificates.Select(c => c.Serial),
                    items = response.Items.Select(i => new { kind = i.Kind, value = i.Value, ca = i.Ca }),
                })).ConfigureAwait(false);
                return 0;
            }

            var lines = new List<string>
            {
                request.DryRun
                    ? $"Dry run: would revoke {response.Certificates.Count} certificate(s) this CA issued and write {response.Items.Count} KRL entr{(response.Items.Count == 1 ? "y" : "ies")}; nothing was written."
                    : $"Revocation {response.RevocationId}: {response.Certificates.Count} certificate(s), {response.Items.Count} KRL entr{(response.Items.Count == 1 ? "y" : "ies")}, in KRL version {response.KrlVersion}.",
            };
            lines.AddRange(response.Certificates.Select(c => "  " + AuditListCommand.Describe(c)));
            lines.AddRange(response.Items.Select(i => $"  {i.Kind} {(i.Ca.Length > 0 ? i.Ca + " CA " : string.Empty)}{i.Value}"));
            if (!request.DryRun)
            {
                lines.Add("Hosts install it with 'ssh-hsm-ca krl' (ssh-hsm-ca-krl.timer: every 5 minutes); sshd reads it at the next login.");
            }

            await Console.Out.WriteLineAsync(string.Join('\n', lines)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static ulong ParseSince(string text, System.CommandLine.Parsing.ArgumentResult argument)
    {
        if (Ssh.Duration.TryParse(text, out var ago))
        {
            return (ulong)DateTimeOffset.UtcNow.Subtract(ago).ToUnixTimeSeconds();
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var when) && when.Year >= 1970)
        {
            return (ulong)when.ToUnixTimeSeconds();
        }

        argument.AddError($"--since takes a date (2026-11-01), a UTC time (2026-11-01T08:00:00Z) or a duration ago (7d), not '{text}'");
        return 0;
    }
}
