namespace SshHsmCa.Cli;

/// <summary>The CA could not be reached; the message names the address and the cause (exit 3).</summary>
internal sealed class ConnectionException(string message, Exception? inner = null) : Exception(message, inner);
