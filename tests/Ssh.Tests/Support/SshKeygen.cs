using System.Diagnostics;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>Runs Debian's ssh-keygen, the judge of what the library emits. Absent ssh-keygen fails the test.</summary>
internal static class SshKeygen
{
    public const string Path = "/usr/bin/ssh-keygen";

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] arguments)
    {
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException("ssh-keygen is required (apt-get install openssh-client; .ci/run installs it)", Path);
        }

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // ssh-keygen -L prints validity in local time: pin it.
        start.Environment["TZ"] = "UTC";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"ssh-keygen {string.Join(' ', arguments)} did not finish in 30 s");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
