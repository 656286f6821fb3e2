using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>The README's first command, run as a newcomer would (with --demo-only so it ends).</summary>
public class QuickstartTests
{
    [Fact]
    public void TheQuickstartIssuesCertificatesAndLogsIn()
    {
        var root = Repository.Root;
        using var dir = new TempDir("sshhsmca-quickstart-");
        var result = ProcessRunner.Run("/bin/bash", [Path.Combine(root, "scripts", "quickstart.sh"), "--demo-only"],
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["SSH_HSM_CA_DEV_DIR"] = dir.PathOf("ca"),
                ["SSH_HSM_CA_DEV_PORT"] = Repository.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SSH_HSM_CA_DEV_IDP_PORT"] = Repository.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SSH_HSM_CA_DEV_REDIRECT_PORT"] = Repository.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            timeoutMs: 300_000);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("logged in as ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("with a certificate signed inside the HSM, from ssh-agent, no key file", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Certified 2 host key(s) as localhost", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Logged in as ", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.PathOf("ca/audit.db")));

        // Issue 31: the login's certificate is proven in the issuance log the HSM's log key signs.
        Assert.Contains("checkpoint signed by the pinned log key ssh-hsm-ca.dev/log", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("and in the issuance log", result.Stdout, StringComparison.Ordinal);
    }

}
