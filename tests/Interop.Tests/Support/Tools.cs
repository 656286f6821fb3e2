using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// The Debian tools the interop tests judge with (the OpenSSH ones of the release under test, see
/// <see cref="OpenSsh"/>). A missing tool fails the test: .ci/run installs them.
/// </summary>
public static class Tools
{
    public const string SoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
    public static string SshKeygen => OpenSsh.SshKeygen;

    public static string Sshd => OpenSsh.Sshd;

    public static string Ssh => OpenSsh.Ssh;

    public static string SshAgent => OpenSsh.SshAgent;

    public static string SshAdd => OpenSsh.SshAdd;

    public static string Require(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is required (scripts/install-test-deps.sh installs it)", path);

    internal static ProcessRunner.Result Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutMs = 60_000) =>
        ProcessRunner.Run(program, arguments, environment, timeoutMs);
}
