using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>Runs Debian's ssh-keygen, the judge of what the library emits. Absent ssh-keygen fails the test.</summary>
internal static class SshKeygen
{
    public static string Path => OpenSsh.SshKeygen;

    public static ProcessRunner.Result Run(params string[] arguments) => ProcessRunner.Run(Path, arguments, timeoutMs: 30_000);
}
