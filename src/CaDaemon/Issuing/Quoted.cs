namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>Caller text quoted back in a message: cut to a bounded length, so a refusal never echoes a megabyte.</summary>
internal static class Quoted
{
    /// <summary><paramref name="text"/>, cut after <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Short(string text, int max = 64) => text.Length > max ? string.Concat(text.AsSpan(0, max), "…") : text;
}
