namespace SshHsmCa.Cli;

/// <summary>The command line was wrong; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
