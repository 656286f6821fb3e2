using System.Diagnostics;

namespace SshHsmCa.Cli;

/// <summary>
/// Runs an OpenSSH program found on PATH (ssh-keygen, ssh-add) with the CLI's environment, so the
/// user's SSH_AUTH_SOCK and SSH_SK_PROVIDER apply. With <c>interactive</c>, the terminal stays the
/// program's (a security key's PIN prompt, "touch your authenticator"); otherwise its output is
/// captured and a failure throws with what it printed.
/// </summary>
internal static class OpenSshTool
{
    public static string Run(string program, IEnumerable<string> arguments, bool interactive = false, int timeoutMs = 120_000)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = !interactive, RedirectStandardOutput = !interactive };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new IOException($"cannot run {program}");
        var error = interactive ? Task.FromResult(string.Empty) : process.StandardError.ReadToEndAsync();
        var output = interactive ? Task.FromResult(string.Empty) : process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new IOException($"{program} did not finish in {timeoutMs / 1000} s");
        }

        return process.ExitCode == 0
            ? output.Result + error.Result
            : throw new IOException($"{program} failed (exit {process.ExitCode}){(error.Result.Trim().Length > 0 ? ": " + error.Result.Trim() : string.Empty)}");
    }
}
