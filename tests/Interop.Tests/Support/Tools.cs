using System.Diagnostics;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>Runs the Debian tools the tests judge with. A missing tool fails the test: .ci/run installs them.</summary>
public static class Tools
{
    public const string SoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
    public const string SshKeygen = "/usr/bin/ssh-keygen";
    public const string Sshd = "/usr/sbin/sshd";
    public const string Ssh = "/usr/bin/ssh";

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public static string Require(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is required (scripts/install-test-deps.sh installs it)", path);

    public static Result Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutMs = 60_000)
    {
        var start = new ProcessStartInfo(Require(program))
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

        start.Environment["TZ"] = "UTC";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
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
