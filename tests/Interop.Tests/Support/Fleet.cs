using System.Globalization;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// A loopback fleet of sshd hosts run by the CLI as their operators would: each host has its own
/// host keys, is bootstrapped with a one-time token (`host bootstrap`: certificates, the trust set
/// in TrustedUserCAKeys, the KRL in RevokedKeys) and kept current with `host renew`, which also
/// installs the CA's trust set and KRL. The daemon's TLS listener must not require client
/// certificates (hosts bring a token or a proof).
/// </summary>
internal sealed class Fleet(DaemonUnderTest daemon, TempDir dir) : IDisposable
{
    private readonly List<Host> _hosts = [];

    /// <summary>One host: its name (the certificate's principal), its /etc/ssh, its sshd.</summary>
    public sealed record Host(string Name, string Etc, int Port, BootstrappedSshd Sshd);

    public IReadOnlyList<Host> Hosts => _hosts;

    /// <summary>The CLI as a process, over TLS (as a host reaches the CA).</summary>
    public ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile, .. arguments], timeoutMs: 120_000);

    /// <summary>The CLI as a process on the operator socket (as an operator on the appliance).</summary>
    public ProcessRunner.Result Operator(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--socket", daemon.SocketPath, .. arguments], timeoutMs: 120_000);

    /// <summary>Asserts a CLI run succeeded, with its output in the message.</summary>
    public static ProcessRunner.Result Ok(ProcessRunner.Result result, string what)
    {
        Assert.True(result.ExitCode == 0, $"{what}: exit {result.ExitCode}\n{result.Output}");
        return result;
    }

    /// <summary>A new host, bootstrapped and serving.</summary>
    public Host Add(string name)
    {
        var etc = Directory.CreateDirectory(dir.PathOf("etc-" + name)).FullName;
        var dropIns = Path.Combine(etc, "sshd_config.d");
        BootstrappedSshd.NewHostKeys(etc);
        var token = Ok(Operator("host", "token", name, "--validity", "10m"), "host token " + name);
        var tokenFile = dir.Write("token-" + name, token.Stdout.Split('\n')[0] + "\n");
        Ok(Cli("host", "bootstrap", "--token-file", tokenFile, "--ssh-dir", etc, "--sshd-config-dir", dropIns), "host bootstrap " + name);
        var port = Repository.FreePort();
        var host = new Host(name, etc, port, BootstrappedSshd.Start(dir, etc, dropIns, port, "sshd-" + name));
        _hosts.Add(host);
        return host;
    }

    /// <summary>`host renew` on every host (what its timer does), then sshd re-reads its certificates.</summary>
    public void RenewAll(string ifExpiresWithin = "1d")
    {
        foreach (var host in _hosts)
        {
            Ok(Cli("host", "renew", "--ssh-dir", host.Etc, "--if-expires-within", ifExpiresWithin), "host renew " + host.Name);
            host.Sshd.Reload();
        }
    }

    /// <summary>ssh to <paramref name="host"/> with no prompt possible: strict host key checking, batch mode.</summary>
    public static string[] SshArguments(Host host, string user, params string[] options) =>
    [
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
        "-o", $"HostKeyAlias={host.Name}",
        "-o", "ConnectTimeout=10",
        .. options,
        "-p", host.Port.ToString(CultureInfo.InvariantCulture),
        $"{user}@127.0.0.1",
        "echo", "login-ok",
    ];

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Sshd.Dispose();
        }
    }
}
