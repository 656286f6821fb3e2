using System.Runtime.InteropServices;

namespace SshHsmCa.Ssh.Krl;

/// <summary>Revoked certificate serials <see cref="Lo"/>..<see cref="Hi"/>, both included, never 0.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct KrlSerialRange(ulong Lo, ulong Hi)
{
    /// <summary>How many serials the range holds.</summary>
    public ulong Count => Hi - Lo + 1;
}
