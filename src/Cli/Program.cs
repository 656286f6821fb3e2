using System.Globalization;
using Google.Rpc;
using Grpc.Core;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli;

/// <summary>
/// <c>ssh-hsm-ca</c>: the client for users, hosts and operators. Exit codes: 0 done, 1 refused by the CA, 2 usage, 3 CA unavailable.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: ssh-hsm-ca [CONNECTION] COMMAND
          login [--device | --id-token-file FILE] [-n PRINCIPAL]... [--force] [--write-files DIR] [--json]
                [--redirect-port N]              SSO login (browser with PKCE, or --device for headless):
                                                 a fresh Ed25519 key and a user certificate in ssh-agent
                                                 until the certificate expires
          logout                                 remove what login added to ssh-agent
          host token NAME... [--validity 1h] [--json]
                                                 a one-time bootstrap token for these host names (operators)
          host bootstrap --token-file FILE [--ssh-dir /etc/ssh] [--sshd-config-dir DIR]
                         [-n NAME]... [--revoked-keys KRL] [--json]
                                                 certify every ssh_host_*_key.pub, write the certificates,
                                                 the user CA file and the sshd drop-in ssh-hsm-ca.conf
          host renew [--ssh-dir /etc/ssh] [--if-expires-within 7d] [--json]
                                                 renew host certificates by proving possession of the keys
          host sign-batch FILE|DIR [--out DIR] [--validity 30d] [--json]
                                                 certify many host keys in one pass (operators): FILE has
                                                 "NAME[,NAME...] KEYTYPE BASE64" lines, DIR has NAME.pub files;
                                                 progress and touch prompts on stderr, a summary at the end
          piv generate URI [--algorithm p256] [--pin-policy once] [--touch-policy cached] [--json]
                                                 the YubiKey key ceremony, run by the daemon (operators):
                                                 a key in the slot, its attestation checked; URI is
                                                 piv:serial=N;slot=9c
          ca keys [--known-hosts PATTERN]        print the user CA key and a @cert-authority line
          ca known-hosts --hosts PATTERN         print only the @cert-authority line
          sign [--host] [-n PRINCIPAL]... [--validity SECONDS] [--request-id ID] KEY.pub
                                                 certify a public key; writes KEY-cert.pub
          inspect CERT                           what ssh-keygen -L shows, time left, and (with a
                                                 connection) whether this CA issued it
          audit list [--principal P] [--caller C] [--limit N]   the audit log (operators)
          audit show SERIAL                      one audit record (operators)
        CONNECTION (or the environment variable in brackets):
          --socket PATH                          the operator socket [SSH_HSM_CA_SOCKET]
          --server URL --server-ca PEM [--client-cert PEM --client-key PEM]
                                                 TLS, with a client certificate for mTLS
                                                 [SSH_HSM_CA_SERVER, _SERVER_CA, _CLIENT_CERT, _CLIENT_KEY]
        Exit codes: 0 done, 1 refused or failed, 2 usage, 3 CA unavailable.
        """;

    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var arguments = new Queue<string>(args);
            var connection = new Connection(
                Environment.GetEnvironmentVariable("SSH_HSM_CA_SOCKET"),
                Environment.GetEnvironmentVariable("SSH_HSM_CA_SERVER"),
                Environment.GetEnvironmentVariable("SSH_HSM_CA_CLIENT_CERT"),
                Environment.GetEnvironmentVariable("SSH_HSM_CA_CLIENT_KEY"),
                Environment.GetEnvironmentVariable("SSH_HSM_CA_SERVER_CA"));
            while (arguments.TryPeek(out var option) && option.StartsWith("--", StringComparison.Ordinal))
            {
                arguments.Dequeue();
                connection = option switch
                {
                    "--socket" => connection with { Socket = Value(arguments, option) },
                    "--server" => connection with { Server = Value(arguments, option), Socket = null },
                    "--client-cert" => connection with { ClientCertificate = Value(arguments, option) },
                    "--client-key" => connection with { ClientKey = Value(arguments, option) },
                    "--server-ca" => connection with { ServerCa = Value(arguments, option) },
                    "--help" => throw new HelpRequested(),
                    _ => throw new UsageException($"unknown option {option}"),
                };
            }

            var command = arguments.Count == 0 ? throw new UsageException("no command") : arguments.Dequeue();
            return command switch
            {
                "ca" => await CaAsync(connection, arguments).ConfigureAwait(false),
                "sign" => await SignAsync(connection, arguments).ConfigureAwait(false),
                "inspect" => await InspectAsync(connection, arguments).ConfigureAwait(false),
                "audit" => await AuditAsync(connection, arguments).ConfigureAwait(false),
                "login" => await LoginCommands.LoginAsync(connection, arguments).ConfigureAwait(false),
                "logout" => await LoginCommands.LogoutAsync(arguments).ConfigureAwait(false),
                "host" => await HostCommands.RunAsync(connection, arguments).ConfigureAwait(false),
                "piv" => await PivCommands.RunAsync(connection, arguments).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{command}'"),
            };
        }
        catch (HelpRequested)
        {
            await Console.Out.WriteAsync(Usage).ConfigureAwait(false);
            return 0;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {Describe(e)}").ConfigureAwait(false);
            return e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? 3 : 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SshFormatException or System.Security.Cryptography.CryptographicException)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception e)
        {
            // A bug: say what it was in one line, never a stack trace (issue 13).
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: internal error ({e.GetType().Name}): {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> CaAsync(Connection connection, Queue<string> arguments)
    {
        var sub = arguments.TryDequeue(out var s) ? s : throw new UsageException("ca needs keys or known-hosts");
        var pattern = "*";
        while (arguments.TryDequeue(out var argument))
        {
            pattern = argument is "--known-hosts" or "--hosts" ? Value(arguments, argument) : throw new UsageException($"unexpected '{argument}'");
        }

        var keys = await connection.CreateClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = pattern }).ConfigureAwait(false);
        switch (sub)
        {
            case "keys":
                await Console.Out.WriteLineAsync($"# TrustedUserCAKeys (sshd):\n{keys.UserCaPublicKey}\n# known_hosts:\n{keys.KnownHostsLine}").ConfigureAwait(false);
                return 0;
            case "known-hosts":
                await Console.Out.WriteLineAsync(keys.KnownHostsLine).ConfigureAwait(false);
                return 0;
            default:
                throw new UsageException($"unknown ca command '{sub}'");
        }
    }

    private static async Task<int> InspectAsync(Connection connection, Queue<string> arguments)
    {
        var file = arguments.TryDequeue(out var f) ? f : throw new UsageException("inspect needs a certificate file");
        var certificate = SshCertificate.ParseLine(CliFiles.ReadText(file));
        await Console.Out.WriteAsync(SshCertificateListing.Format(certificate, file)).ConfigureAwait(false);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = certificate.VerifySignature();
        await Console.Out.WriteLineAsync($"        Time left: {TimeText.Left(certificate.ValidAfter, certificate.ValidBefore, now)}").ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"        Signature: {signature}").ConfigureAwait(false);
        if (signature != Ssh.Signatures.SignatureVerification.Valid)
        {
            // A certificate whose signature does not verify was issued by nobody.
            if (connection.IsConfigured)
            {
                await Console.Out.WriteLineAsync("        Issued by this CA: no (the signature does not verify)").ConfigureAwait(false);
            }

            return 1;
        }

        if (!connection.IsConfigured)
        {
            return 0;
        }

        // Issued by this CA: signed by one of its keys, and the audit log holds that serial with
        // exactly these bytes (a valid signature alone would vouch for a certificate the CA key
        // signed outside this CA, or one the audit log does not know).
        var client = connection.CreateClient();
        var keys = await client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest()).ConfigureAwait(false);
        var signedByUs = certificate.SignatureKey.Equals(SshPublicKey.ParseLine(certificate.Type == SshCertificateType.User ? keys.UserCaPublicKey : keys.HostCaPublicKey));
        string verdict;
        if (!signedByUs)
        {
            verdict = "no (signed by another CA key)";
        }
        else
        {
            try
            {
                var record = (await client.GetCertificateAsync(new GetCertificateRequest { Serial = certificate.Serial }).ConfigureAwait(false)).Record;
                var recorded = record.Certificate.Length > 0 ? SshCertificate.ParseLine(record.Certificate) : null;
                verdict = recorded is not null && recorded.ToOpenSshLine() == certificate.ToOpenSshLine()
                    ? $"yes (serial {certificate.Serial}, issued to {record.Caller})"
                    : $"no (the audit log's serial {certificate.Serial} is another certificate)";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                verdict = $"no (serial {certificate.Serial} is not in the audit log)";
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated)
            {
                verdict = $"unknown: signed by this CA's key, but the audit log is not readable with these credentials ({e.StatusCode})";
            }
        }

        await Console.Out.WriteLineAsync($"        Issued by this CA: {verdict}").ConfigureAwait(false);
        return verdict.StartsWith("yes", StringComparison.Ordinal) ? 0 : 1;
    }

    private static async Task<int> AuditAsync(Connection connection, Queue<string> arguments)
    {
        var sub = arguments.TryDequeue(out var s) ? s : throw new UsageException("audit needs list or show");
        var client = connection.CreateClient();
        if (sub == "show")
        {
            var serial = arguments.TryDequeue(out var text) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException("audit show needs a serial");
            var record = (await client.GetCertificateAsync(new GetCertificateRequest { Serial = serial }).ConfigureAwait(false)).Record;
            await Console.Out.WriteLineAsync(Describe(record) + (record.Certificate.Length > 0 ? "\n" + record.Certificate : string.Empty)).ConfigureAwait(false);
            return 0;
        }

        if (sub != "list")
        {
            throw new UsageException($"unknown audit command '{sub}'");
        }

        var request = new ListCertificatesRequest { PageSize = 50 };
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--principal":
                    request.Principal = Value(arguments, argument);
                    break;
                case "--caller":
                    request.Caller = Value(arguments, argument);
                    break;
                case "--limit":
                    request.PageSize = uint.TryParse(Value(arguments, argument), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is > 0 and <= 500 ? limit : throw new UsageException("--limit takes 1..500");
                    break;
                default:
                    throw new UsageException($"unexpected '{argument}'");
            }
        }

        var response = await client.ListCertificatesAsync(request).ConfigureAwait(false);
        foreach (var record in response.Records)
        {
            await Console.Out.WriteLineAsync(Describe(record)).ConfigureAwait(false);
        }

        return 0;
    }

    private static string Describe(Protos.V1.AuditRecord record) => string.Create(CultureInfo.InvariantCulture,
        $"{record.Serial}\t{record.Outcome}\t{record.Type}\t{string.Join(",", record.Principals)}\t{SshCertificateListing.FormatValidity(record.ValidAfter, record.ValidBefore)}\t{record.Caller} ({record.AuthMethod})\t\"{record.KeyId}\"{(record.Failure.Length > 0 ? "\t" + record.Failure : string.Empty)}");

    private static async Task<int> SignAsync(Connection connection, Queue<string> arguments)
    {
        var host = false;
        var principals = new List<string>();
        ulong validity = 0;
        var requestId = string.Empty;
        string? keyFile = null;
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--host":
                    host = true;
                    break;
                case "-n" or "--principal":
                    principals.Add(Value(arguments, argument));
                    break;
                case "--validity":
                    validity = ulong.TryParse(Value(arguments, argument), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException("--validity takes seconds");
                    break;
                case "--request-id":
                    requestId = Value(arguments, argument);
                    break;
                default:
                    keyFile = keyFile is null && !argument.StartsWith('-') ? argument : throw new UsageException($"unexpected '{argument}'");
                    break;
            }
        }

        if (keyFile is null || !keyFile.EndsWith(".pub", StringComparison.Ordinal))
        {
            throw new UsageException("sign needs a public key file ending in .pub");
        }

        var publicKey = SshPublicKey.ParseLine(CliFiles.ReadText(keyFile), out var comment);
        var client = connection.CreateClient();
        IssuedCertificate response;
        if (host)
        {
            var request = new SignHostCertificateRequest { PublicKey = publicKey.ToOpenSshLine(), ValiditySeconds = validity, RequestId = requestId };
            request.Principals.AddRange(principals);
            response = (await client.SignHostCertificateAsync(request).ConfigureAwait(false)).Certificate;
        }
        else
        {
            var request = new SignUserCertificateRequest { PublicKey = publicKey.ToOpenSshLine(), ValiditySeconds = validity, RequestId = requestId, UseDefaultExtensions = true };
            request.Principals.AddRange(principals);
            response = (await client.SignUserCertificateAsync(request).ConfigureAwait(false)).Certificate;
        }

        var certificate = SshCertificate.ParseLine(response.Certificate);
        var output = keyFile[..^".pub".Length] + "-cert.pub";
        // Atomically, replacing whatever is at the path (a symlink is replaced, never followed).
        FileOutput.WriteAtomically(output, certificate.ToOpenSshLine(comment) + "\n", FileOutput.PublicMode);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{output}: serial {response.Serial}, principals {string.Join(",", response.Principals)}, valid {SshCertificateListing.FormatValidity(response.ValidAfter, response.ValidBefore)} UTC, key id \"{response.KeyId}\"")).ConfigureAwait(false);
        return 0;
    }

    internal static string Value(Queue<string> arguments, string option) =>
        arguments.TryDequeue(out var value) ? value : throw new UsageException($"{option} needs a value");

    private static string Describe(RpcException e)
    {
        var status = e.GetRpcStatus();
        var details = new List<string>();
        if (status?.GetDetail<BadRequest>() is { } bad)
        {
            details.AddRange(bad.FieldViolations.Select(v => $"  {v.Field}: {v.Description}"));
        }

        if (status?.GetDetail<PreconditionFailure>() is { } denied)
        {
            details.AddRange(denied.Violations.Select(v => $"  {v.Type} ({v.Subject}): {v.Description}"));
        }

        return $"{e.StatusCode}: {e.Status.Detail}" + (details.Count > 0 ? "\n" + string.Join("\n", details) : string.Empty);
    }

    private sealed class HelpRequested : Exception;
}
