using System.Text.RegularExpressions;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 28: one version everywhere. Both programs print the version of the package the
/// changelog describes (and the commit they were built from); before, the CLI said 1.0.0 beside a
/// 0.2.0 package and the daemon had no --version.
/// </summary>
public class VersionTests
{
    [Theory]
    [InlineData("Cli", "ssh-hsm-ca.dll")]
    [InlineData("CaDaemon", "ssh-hsm-cad.dll")]
    public void BothProgramsPrintTheChangelogsVersion(string project, string dll)
    {
        var head = File.ReadLines(Path.Combine(Repository.Root, "packaging", "deb", "changelog")).First();
        var version = Regex.Match(head, @"^ssh-hsm-ca \((?<v>\d+\.\d+\.\d+)-\d+\)", RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1)).Groups["v"].Value;
        Assert.NotEmpty(version);
        var result = ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary(project, dll), "--version"]);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Matches(@"(^|\s)" + Regex.Escape(version) + @"(\+[0-9a-f]+)?\s*$", result.Stdout);
    }
}
