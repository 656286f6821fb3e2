using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;
using Xunit.Abstractions;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 28: the judging tests run once per OpenSSH release (scripts/test.sh with
/// scripts/openssh-releases.sh). This class proves which release a run judged with: every
/// program the tests start, and the ssh tools the CLI finds on PATH, print the version the
/// release's root recorded. Without it a broken wrapper folder could quietly judge with 9.2 again.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
public class OpenSshReleaseTests(ITestOutputHelper output)
{
    [Fact]
    public void TheProgramsAreTheReleaseUnderTest()
    {
        var ssh = ProcessRunner.Run(Tools.Ssh, ["-V"]);
        Assert.True(ssh.ExitCode == 0, ssh.Output);
        output.WriteLine($"OpenSSH of {OpenSsh.Release}: {ssh.Output.Trim()}");
        Assert.True(OpenSsh.Version >= new Version(9, 2), $"{ssh.Output} is older than any release the appliance supports");

        if (OpenSsh.Bin is null)
        {
            // This machine's own programs, as Debian installs them.
            Assert.Equal("/usr/bin/ssh", Tools.Ssh);
            Assert.Equal("/usr/sbin/sshd", Tools.Sshd);
            return;
        }

        var expected = Environment.GetEnvironmentVariable(OpenSsh.VersionVariable);
        Assert.False(string.IsNullOrEmpty(expected), $"{OpenSsh.BinVariable} is set without {OpenSsh.VersionVariable}");
        foreach (var program in new[] { Tools.Ssh, Tools.Sshd })
        {
            var banner = ProcessRunner.Run(program, ["-V"]).Output;
            Assert.Contains(expected, banner, StringComparison.Ordinal);
        }

        // The CLI runs ssh-keygen by name: the first one on PATH must be the release's.
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "ssh-keygen")).FirstOrDefault(File.Exists);
        Assert.Equal(Tools.SshKeygen, onPath);

        // And the sshd-session and sshd-auth that sshd executes per connection are the release's.
        var config = ProcessRunner.Run(Tools.Sshd, ["-T", "-f", "/dev/null"]).Output;
        // (sshd -T prints keywords in lower case up to 10.0, as written from 10.x on: "SshdSessionPath".)
        Assert.Contains("sshdsessionpath " + Path.Combine(OpenSsh.Bin, "sshd-session"), config, StringComparison.OrdinalIgnoreCase);
    }
}
