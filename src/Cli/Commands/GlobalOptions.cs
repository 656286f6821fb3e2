using System.CommandLine;

namespace SshHsmCa.Cli.Commands;

/// <summary>
/// How to reach the CA, valid before or after any command (or from the environment variable each
/// names), and the option shapes every command shares: one duration syntax, --json.
/// </summary>
internal sealed class GlobalOptions
{
    private const string TimeoutVariable = "SSH_HSM_CA_TIMEOUT";

    public Option<string?> Socket { get; } = Recursive("--socket", "PATH", "the operator socket", "SSH_HSM_CA_SOCKET");

    public Option<string?> Server { get; } = Recursive("--server", "URL", "the CA over TLS, https://HOST:PORT", "SSH_HSM_CA_SERVER", () => ClientConfig.Current?.Server);

    public Option<string?> ServerCa { get; } = Recursive("--server-ca", "PEM", "the CA's TLS root (trusted for --server, nothing else is)", "SSH_HSM_CA_SERVER_CA", () => ClientConfig.Current?.ServerCa);

    public Option<string?> ClientCertificate { get; } = Recursive("--client-cert", "PEM", "a client certificate for mTLS (with --client-key)", "SSH_HSM_CA_CLIENT_CERT");

    public Option<string?> ClientKey { get; } = Recursive("--client-key", "PEM", "the client certificate's key", "SSH_HSM_CA_CLIENT_KEY");

    public Option<ulong> Timeout { get; } = TimeoutOption();

    public IEnumerable<Option> All => [Socket, Server, ServerCa, ClientCertificate, ClientKey, Timeout];

    /// <summary>The connection a command line names; --server on the command line wins over a socket from the environment.</summary>
    public Connection Connection(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var serverGiven = result.GetResult(Server) is { Implicit: false };
        var socketGiven = result.GetResult(Socket) is { Implicit: false };
        var socket = serverGiven && !socketGiven ? null : result.GetValue(Socket);
        return new Connection(socket, result.GetValue(Server), result.GetValue(ClientCertificate), result.GetValue(ClientKey), result.GetValue(ServerCa)) { Timeout = TimeoutOf(result) };
    }

    /// <summary>--timeout: each call's deadline, recursive; absent, SSH_HSM_CA_TIMEOUT, then the default (see <see cref="TimeoutOf"/>).</summary>
    private static Option<ulong> TimeoutOption()
    {
        var option = Duration("--timeout", $"how long each call to the CA may take before the command gives up with exit 3 (default {(int)Cli.Connection.DefaultTimeout.TotalSeconds}s; a streamed batch at least 1h) [{TimeoutVariable}]");
        option.Recursive = true;
        return option;
    }

    /// <summary>The deadline a command line asks for: --timeout, else SSH_HSM_CA_TIMEOUT (a duration), else the default.</summary>
    private TimeSpan TimeoutOf(ParseResult result) =>
        result.GetResult(Timeout) is { Implicit: false } ? TimeSpan.FromSeconds(result.GetValue(Timeout))
        : Environment.GetEnvironmentVariable(TimeoutVariable) is { Length: > 0 } value && Ssh.Duration.TryParse(value, out var parsed) && parsed > TimeSpan.Zero ? parsed
        : Cli.Connection.DefaultTimeout;

    /// <summary>A duration in the policy's syntax (<c>90s 15m 8h 30d 2w</c>), as seconds; 0 when absent.</summary>
    public static Option<ulong> Duration(string name, string description) => new(name)
    {
        Description = description + " (90s, 15m, 8h, 30d, 2w)",
        HelpName = "DURATION",
        CustomParser = argument =>
        {
            var text = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : string.Empty;
            if (Ssh.Duration.TryParse(text, out var value))
            {
                return (ulong)value.TotalSeconds;
            }

            argument.AddError($"{name} takes a duration like 90s, 15m, 8h, 30d or 2w, not '{text}'");
            return 0;
        },
    };

    /// <summary>--json: machine-readable output on stdout, messages on stderr.</summary>
    public static Option<bool> Json() => new("--json") { Description = "print JSON on stdout (messages go to stderr)" };

    /// <summary>An option valid anywhere on the line; absent: the environment variable, then <paramref name="configured"/> (what setup wrote).</summary>
    private static Option<string?> Recursive(string name, string helpName, string description, string environment, Func<string?>? configured = null) => new(name)
    {
        Description = $"{description} [{environment}{(configured is null ? string.Empty : ", or what setup wrote")}]",
        HelpName = helpName,
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(environment) is { Length: > 0 } value ? value : configured?.Invoke(),
    };
}
