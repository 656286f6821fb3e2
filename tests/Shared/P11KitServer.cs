using System.Diagnostics;

namespace SshHsmCa.Tests.Shared;

/// <summary>
/// A PKCS#11 token served over p11-kit's RPC, as a network HSM serves its partitions:
/// <c>p11-kit server</c> (Debian's p11-kit) exports a SoftHSM2 token on a Unix socket, and the
/// daemon loads <c>p11-kit-client.so</c>, which sends every call there. With a
/// <see cref="DelayLine"/> in between, each call is a network round trip.
/// </summary>
internal sealed class P11KitServer : IDisposable
{
    public const string ClientModule = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";
    private const string Tool = "/usr/bin/p11-kit";
    private readonly Process _process;

    /// <summary>Serves <paramref name="token"/> of <paramref name="module"/> on <paramref name="socket"/>.</summary>
    public P11KitServer(string socket, string module, string token, string softHsmConf)
    {
        foreach (var required in new[] { Tool, ClientModule })
        {
            if (!File.Exists(required))
            {
                throw new FileNotFoundException($"{required} is required (p11-kit and p11-kit-modules; scripts/install-test-deps.sh installs them)", required);
            }
        }

        Socket = socket;
        var start = new ProcessStartInfo(Tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["server", "--foreground", "--provider", module, "--name", socket, $"pkcs11:token={token}"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = softHsmConf;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (!File.Exists(socket))
        {
            if (_process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"p11-kit server did not create {socket} (exit {(_process.HasExited ? _process.ExitCode : -1)})");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>The socket the server listens on.</summary>
    public string Socket { get; }

    /// <summary>The value of P11_KIT_SERVER_ADDRESS for a client of <paramref name="socket"/>.</summary>
    public static string Address(string socket) => $"unix:path={socket}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
