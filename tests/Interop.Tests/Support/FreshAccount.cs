using System.Diagnostics;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// A new local account (useradd -m, as root), for tests that must run as a user who has nothing
/// yet: no ~/.ssh, no known_hosts, no configuration. Removed with its home on dispose.
/// </summary>
internal sealed class FreshAccount : IDisposable
{
    private readonly List<Process> _background = [];

    private FreshAccount(string name, string home)
    {
        Name = name;
        Home = home;
    }

    public string Name { get; }

    public string Home { get; }

    public static FreshAccount Create()
    {
        var name = "shcfresh" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        // "*": no password, yet not locked (sshd without PAM refuses a locked account even with a certificate).
        var made = ProcessRunner.Run("/usr/sbin/useradd", ["-m", "-s", "/bin/bash", "-p", "*", name]);
        Assert.True(made.ExitCode == 0, made.Output);
        return new FreshAccount(name, Path.Combine("/home", name));
    }

    /// <summary>A file in the home, owned by the account, mode 0600.</summary>
    public string Write(string relative, string contents)
    {
        var path = Path.Combine(Home, relative);
        File.WriteAllText(path, contents);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, ProcessRunner.Run("/bin/chown", [Name + ":" + Name, path]).ExitCode);
        return path;
    }

    /// <summary>Runs a program as the account (setpriv: its uid, gid and groups; HOME its home).</summary>
    public ProcessRunner.Result Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutMs = 120_000)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["HOME"] = Home, ["USER"] = Name, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
        {
            all[key] = value;
        }

        return ProcessRunner.Run("/usr/bin/setpriv", ["--reuid=" + Name, "--regid=" + Name, "--init-groups", program, .. arguments], all, timeoutMs);
    }

    /// <summary>ssh-agent as the account (it refuses other users), on a socket in the home.</summary>
    public async Task<string> StartAgentAsync()
    {
        var socket = Path.Combine(Home, "agent.sock");
        var start = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--reuid=" + Name, "--regid=" + Name, "--init-groups", Tools.SshAgent, "-D", "-a", socket })
        {
            start.ArgumentList.Add(argument);
        }

        _background.Add(Process.Start(start)!);
        for (var i = 0; i < 100 && !File.Exists(socket); i++)
        {
            await Task.Delay(50);
        }

        return File.Exists(socket) ? socket : throw new TimeoutException("ssh-agent did not create its socket");
    }

    public void Dispose()
    {
        foreach (var process in _background)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        ProcessRunner.Run("/usr/bin/pkill", ["-KILL", "-u", Name]);
        ProcessRunner.Run("/usr/sbin/userdel", ["-r", "-f", Name]);
    }
}
