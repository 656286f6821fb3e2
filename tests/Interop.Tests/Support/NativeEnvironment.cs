using System.Runtime.InteropServices;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// Sets a variable where native code reads it: Environment.SetEnvironmentVariable does not reach
/// libc's getenv, and SoftHSM reads SOFTHSM2_CONF with getenv at C_Initialize (SoftHSM2's README, SOFTHSM2_CONF).
/// </summary>
internal static partial class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value); // for child processes started from .NET
        if (setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed");
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
