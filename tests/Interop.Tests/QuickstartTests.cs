using System.Net;
using System.Net.Sockets;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>The README's first command, run as a newcomer would (with --demo-only so it ends).</summary>
public class QuickstartTests
{
    [Fact]
    public void TheQuickstartIssuesCertificatesAndLogsIn()
    {
        var root = RepositoryRoot();
        using var dir = new TempDir("sshhsmca-quickstart-");
        var result = ProcessRunner.Run("/bin/bash", [Path.Combine(root, "scripts", "quickstart.sh"), "--demo-only"],
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["SSH_HSM_CA_DEV_DIR"] = dir.PathOf("ca"),
                ["SSH_HSM_CA_DEV_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            timeoutMs: 300_000);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("logged in as ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("with a certificate signed inside the HSM", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.PathOf("ca/audit.db")));
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SshHsmCa.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("SshHsmCa.sln not found");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
