using System.CommandLine;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Audit;

/// <summary><c>audit show SERIAL</c>: one audit record and its certificate.</summary>
internal static class AuditShowCommand
{
    public static Command Create(GlobalOptions global)
    {
        var serial = new Argument<ulong>("SERIAL") { Description = "the certificate's serial number" };
        var command = new Command("show", "one audit record and its certificate (operators: the policy's 'audit' right)") { serial };
        command.SetAction(async (result, cancel) =>
        {
            var record = (await global.Connection(result).CreateClient().GetCertificateAsync(new GetCertificateRequest { Serial = result.GetValue(serial) }, cancellationToken: cancel).ConfigureAwait(false)).Record;
            await Console.Out.WriteLineAsync(AuditListCommand.Describe(record) + (record.Certificate.Length > 0 ? "\n" + record.Certificate : string.Empty)
                + (record.Revocation is { } revocation ? "\nREVOKED by revocation " + Revocation.RevocationsCommand.Describe(revocation) : string.Empty)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
