using System.CommandLine;
using SshHsmCa.Cli.Commands;
using SshHsmCa.Cli.Commands.Audit;
using SshHsmCa.Cli.Commands.Ca;
using SshHsmCa.Cli.Commands.Certificates;
using SshHsmCa.Cli.Commands.Host;
using SshHsmCa.Cli.Commands.Keys;
using SshHsmCa.Cli.Commands.Piv;
using SshHsmCa.Cli.Commands.Revocation;
using SshHsmCa.Cli.Commands.User;

namespace SshHsmCa.Cli;

/// <summary>The command tree of <c>ssh-hsm-ca</c>, grouped as its help groups it.</summary>
internal static class CliApp
{
    public const string Description = """
        ssh-hsm-ca: the client of an SSH certificate authority whose keys live in hardware.
        Users log in through SSO into ssh-agent; hosts bootstrap with a one-time token and renew by
        proving possession of their keys; operators sign batches, make tokens, revoke and read the
        audit log; hosts and users install the CA's signed KRL.
        Exit codes: 0 done, 1 refused or failed, 2 usage, 3 the CA could not be reached, 4 a KRL
        failed verification, 5 a KRL older than the installed one (krl, host renew).
        """;

    public static RootCommand Build()
    {
        var global = new GlobalOptions();
        var root = new RootCommand(Description);
        foreach (var option in global.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(SetupCommand.Create(global));
        root.Subcommands.Add(LoginCommand.Create(global));
        root.Subcommands.Add(LogoutCommand.Create());
        root.Subcommands.Add(AgentCommand.Create());
        root.Subcommands.Add(Group("key", "security keys: enroll one with its attestation, list them", KeyEnrollCommand.Create(global), KeyListCommand.Create(global)));
        root.Subcommands.Add(Group("host", "host certificates: bootstrap tokens, bootstrap, renewal, batches",
            HostTokenCommand.Create(global), HostBootstrapCommand.Create(global), HostRenewCommand.Create(global), HostSignBatchCommand.Create(global)));
        root.Subcommands.Add(Group("piv", "YubiKey CA keys", PivGenerateCommand.Create(global)));
        root.Subcommands.Add(Group("ca", "the CA's public keys and their rotation", CaKeysCommand.Create(global), CaKnownHostsCommand.Create(global), CaFingerprintCommand.Create(), CaStatusCommand.Create(global), CaRotateCommand.Create(global)));
        root.Subcommands.Add(SignCommand.Create(global));
        root.Subcommands.Add(InspectCommand.Create(global));
        root.Subcommands.Add(Group("audit", "the audit log (operators: the policy's 'audit' right)", AuditListCommand.Create(global), AuditShowCommand.Create(global), AuditVerifyCommand.Create(global), AuditProveCommand.Create(global)));
        root.Subcommands.Add(RevokeCommand.Create(global));
        root.Subcommands.Add(RevocationsCommand.Create(global));
        root.Subcommands.Add(KrlCommand.Create(global));
        return root;
    }

    private static Command Group(string name, string description, params Command[] commands)
    {
        var group = new Command(name, description);
        foreach (var command in commands)
        {
            group.Subcommands.Add(command);
        }

        return group;
    }
}
