using System.CommandLine;
using System.Globalization;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Cli.Commands.Audit;

/// <summary><c>audit list</c>: the audit log, newest first (the policy's <c>audit</c> right).</summary>
internal static class AuditListCommand
{
    public static Command Create(GlobalOptions global)
    {
        var principal = new Option<string?>("--principal") { Description = "only certificates naming this principal", HelpName = "NAME" };
        var caller = new Option<string?>("--caller") { Description = "only certificates asked for by this caller", HelpName = "NAME" };
        var limit = new Option<uint>("--limit") { Description = "at most this many records (1..500)", HelpName = "N", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<uint>() is 0 or > 500)
            {
                r.AddError("--limit takes 1..500");
            }
        });
        var command = new Command("list", "the audit log, newest first (operators: the policy's 'audit' right)") { principal, caller, limit };
        command.SetAction(async (result, cancel) =>
        {
            var request = new ListCertificatesRequest { PageSize = result.GetValue(limit), Principal = result.GetValue(principal) ?? string.Empty, Caller = result.GetValue(caller) ?? string.Empty };
            var response = await global.Connection(result).CreateClient().ListCertificatesAsync(request, cancellationToken: cancel).ConfigureAwait(false);
            foreach (var record in response.Records)
            {
                await Console.Out.WriteLineAsync(Describe(record)).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>One record on one line: serial, outcome, type, principals, validity (UTC), caller, key id, failure.</summary>
    internal static string Describe(Protos.V1.AuditRecord record) => string.Create(CultureInfo.InvariantCulture,
        $"{record.Serial}\t{record.Outcome}\t{record.Type}\t{string.Join(",", record.Principals)}\t{SshCertificateListing.FormatValidity(record.ValidAfter, record.ValidBefore)} UTC\t{record.Caller} ({record.AuthMethod})\t\"{record.KeyId}\"{(record.Failure.Length > 0 ? "\t" + record.Failure : string.Empty)}");
}
