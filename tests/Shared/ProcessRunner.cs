using System.Diagnostics;

namespace SshHsmCa.Tests.Shared;

/// <summary>
/// Runs a Debian tool for a test: stdin empty or the bytes given, output captured, TZ=UTC, bounded in time. Compiled into
/// each test project that judges with real tools (linked, not referenced, to keep projects flat).
/// </summary>
internal static class ProcessRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public static Result Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutMs = 60_000, byte[]? stdin = null)
    {
        if (!File.Exists(program))
        {
            throw new FileNotFoundException($"{program} is required (scripts/install-test-deps.sh installs it)", program);
        }

        var start = new ProcessStartInfo(program)
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
        foreach (var (key, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in {timeoutMs} ms");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
