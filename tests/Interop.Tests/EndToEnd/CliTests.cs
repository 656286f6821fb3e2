using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>ssh-hsm-ca as a program against the daemon's operator socket and mTLS listener.</summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public class CliTests(SoftHsm hsm)
{
    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 60_000);

    [Fact]
    public async Task SignInspectAndAuditThroughTheCli()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var dir = new TempDir("sshhsmca-cli-");
        var socket = daemon.SocketPath;
        var key = dir.PathOf("id_ed25519");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "me", "-f", key]).ExitCode);

        var knownHosts = Cli("--socket", socket, "ca", "known-hosts", "--hosts", "*.example.com");
        Assert.True(knownHosts.ExitCode == 0, knownHosts.Output);
        Assert.StartsWith("@cert-authority *.example.com ecdsa-sha2-nistp256 ", knownHosts.Stdout, StringComparison.Ordinal);

        var signed = Cli("--socket", socket, "sign", key + ".pub");
        Assert.True(signed.ExitCode == 0, signed.Output);
        Assert.True(File.Exists(key + "-cert.pub"));
        Assert.Contains("serial 1,", signed.Stdout, StringComparison.Ordinal);

        // inspect: ssh-keygen -L's own listing, time left, and whether this CA issued it.
        var inspect = Cli("--socket", socket, "inspect", key + "-cert.pub");
        Assert.True(inspect.ExitCode == 0, inspect.Output);
        var keygen = ProcessRunner.Run(Tools.SshKeygen, ["-L", "-f", key + "-cert.pub"]);
        Assert.StartsWith(keygen.Stdout, inspect.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Time left: ([1-9]\d*h \d+m|\d+m \d+s)\n", inspect.Stdout);
        Assert.Contains("Signature: Valid", inspect.Stdout, StringComparison.Ordinal);
        Assert.Contains("Issued by this CA: yes", inspect.Stdout, StringComparison.Ordinal);

        var denied = Cli("--socket", socket, "sign", "-n", "someone-else", key + ".pub");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("principal-not-allowed", denied.Stderr, StringComparison.Ordinal);

        var list = Cli("--socket", socket, "audit", "list");
        Assert.True(list.ExitCode == 0, list.Output);
        Assert.StartsWith("1\tissued\tuser\t", list.Stdout, StringComparison.Ordinal);
        var show = Cli("--socket", socket, "audit", "show", "1");
        Assert.Contains(File.ReadAllText(key + "-cert.pub").Split(' ')[1], show.Stdout, StringComparison.Ordinal);

        Assert.Equal(2, Cli("--socket", socket, "frobnicate").ExitCode);
        Assert.Equal(0, Cli("--help").ExitCode);
        Assert.Equal(3, Cli("--socket", dir.PathOf("no-daemon.sock"), "ca", "keys").ExitCode);
    }
}
