using System.Diagnostics.CodeAnalysis;

namespace SshHsmCa.Ssh;

/// <summary>Keeps throw sites out of hot methods so they stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Format(string field, string problem) => throw new SshFormatException(field, problem);

    [DoesNotReturn]
    public static T Format<T>(string field, string problem) => throw new SshFormatException(field, problem);

    [DoesNotReturn]
    public static void Truncated(string field, int needed, int remaining) =>
        throw new SshFormatException(field, $"truncated: needs {needed} bytes, {remaining} remain");
}
