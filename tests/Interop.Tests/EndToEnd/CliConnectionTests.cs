using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 14: when the CA cannot be reached, the CLI says where it tried and why, in one line, and
/// exits 3 — never a stack trace or gRPC's "Error starting gRPC call" chain.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class CliConnectionTests(SoftHsm hsm)
{
    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 60_000);

    private static void AssertUnreachable(ProcessRunner.Result result, params string[] expected)
    {
        Assert.True(result.ExitCode == 3, result.Output);
        Assert.StartsWith("ssh-hsm-ca: cannot reach ", result.Stderr, StringComparison.Ordinal);
        foreach (var text in expected)
        {
            Assert.True(result.Stderr.Contains(text, StringComparison.Ordinal), $"'{text}' not in: {result.Stderr}");
        }

        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Error starting gRPC call", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryWayOfMissingTheCaNamesTheAddressAndTheCause()
    {
        // Users reach it over TLS without a client certificate (SSO, bootstrap, public keys).
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o => o.Tls!.RequireClientCertificate = false);
        using var dir = new TempDir("sshhsmca-cli-");
        var ca = daemon.ServerCaFile;

        AssertUnreachable(Cli("--server", $"127.0.0.1:{daemon.Port}", "--server-ca", ca, "ca", "keys"), "is not a URL", $"https://127.0.0.1:{daemon.Port}");
        var free = Repository.FreePort();
        AssertUnreachable(Cli("--server", $"https://127.0.0.1:{free}", "--server-ca", ca, "ca", "keys"), $"https://127.0.0.1:{free}", "nothing is listening");
        AssertUnreachable(Cli("--socket", dir.PathOf("missing.sock"), "ca", "keys"), dir.PathOf("missing.sock"), "no such socket");
        AssertUnreachable(Cli("--server", $"http://127.0.0.1:{daemon.Port}", "--server-ca", ca, "ca", "keys"), $"http://127.0.0.1:{daemon.Port}", "use https://");
        AssertUnreachable(Cli("--server", $"https://localhost:{daemon.Port}", "--server-ca", ca, "ca", "keys"), "not localhost");

        // A root that is not the server's.
        using var other = new TestPki("other");
        var otherCa = dir.PathOf("other-ca.pem");
        TestPki.WritePem(other.Ca, otherCa, null);
        AssertUnreachable(Cli("--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", otherCa, "ca", "keys"), "does not chain to --server-ca");

        // And the same command reaches it when it is right.
        Assert.Equal(0, Cli("--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", ca, "ca", "keys").ExitCode);
    }

    [Fact]
    public void EveryCommandHasItsOwnHelpAndUsageErrorsShowIt()
    {
        foreach (var command in new[] { "setup", "login", "logout", "host token", "host bootstrap", "host renew", "host sign-batch", "piv generate", "ca keys", "ca known-hosts", "ca fingerprint", "sign", "inspect", "audit list", "audit show" })
        {
            var help = Cli([.. command.Split(' '), "--help"]);
            Assert.True(help.ExitCode == 0, help.Output);
            Assert.Contains($"ssh-hsm-ca {command}", help.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("\n", help.Stdout, StringComparison.Ordinal);
        }

        var version = Cli("--version");
        Assert.True(version.ExitCode == 0 && version.Stdout.Length > 1, version.Output);

        // A parse error: the message, then that command's usage, exit 2.
        var bad = Cli("sign", "--validity", "3600", "key.pub");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--validity takes a duration like 90s, 15m, 8h, 30d or 2w, not '3600'", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("ssh-hsm-ca sign <KEY.pub> [options]", bad.Stderr, StringComparison.Ordinal);
    }
}
