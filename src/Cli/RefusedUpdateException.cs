namespace SshHsmCa.Cli;

/// <summary>A KRL or trust set that must not be installed (exit <see cref="ExitCode"/>); the installed file is unchanged.</summary>
internal sealed class RefusedUpdateException(int exitCode, string message) : Exception(message)
{
    /// <summary>4: it failed verification; 5: it is older than the installed one.</summary>
    public int ExitCode { get; } = exitCode;
}
