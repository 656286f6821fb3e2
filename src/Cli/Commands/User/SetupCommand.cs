using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.User;

/// <summary>
/// <c>setup --server URL --fingerprint FP</c>: trust the CA without trust on first use. The TLS
/// root the server presents is pinned only when its SHA-256 fingerprint is the one the operator
/// gave out (as <c>step ca bootstrap --fingerprint</c> does); then the client configuration, the
/// pinned root and a known_hosts file with the host CA's @cert-authority line are written, and ssh
/// is pointed at that file through a file of its own (an <c>Include</c>d file for the user, a
/// drop-in in /etc/ssh/ssh_config.d with --system): the user's own lines are never rewritten.
/// The CA's signed KRL is installed (verified with the user CA key) before ssh is told to read it
/// through RevokedHostKeys: ssh refuses every host when that file is missing.
/// A wrong fingerprint refuses before anything is written.
/// </summary>
internal static class SetupCommand
{
    private const UnixFileMode PublicMode = FileOutput.PublicMode;
    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static Command Create(GlobalOptions global)
    {
        var fingerprintOption = new Option<string>("--fingerprint")
        {
            Description = "the SHA-256 fingerprint of the CA's TLS root, from the operator (SHA256:base64 or hex; ssh-hsm-ca ca fingerprint PEM prints it)",
            HelpName = "FP",
            Required = true,
        };
        var systemOption = new Option<bool>("--system") { Description = "for the whole machine (hosts): /etc/ssh-hsm-ca and /etc/ssh/ssh_config.d (root)" };
        var hostsOption = Ca.CaKeysCommand.HostsOption();
        var command = new Command("setup", "trust a CA by the fingerprint of its TLS root, write the client configuration and the known_hosts line ssh reads")
        {
            fingerprintOption, systemOption, hostsOption,
        };
        command.SetAction(async (result, cancel) =>
        {
            var server = result.GetResult(global.Server) is { Implicit: false } ? result.GetValue(global.Server) : null;
            if (server is null || !Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme != "https")
            {
                throw new UsageException("setup needs --server https://HOST:PORT");
            }

            var expected = ParseFingerprint(result.GetValue(fingerprintOption)!);
            var pattern = result.GetValue(hostsOption)!;
            var root = await PinRootAsync(url, expected, pattern, cancel).ConfigureAwait(false);
            var system = result.GetValue(systemOption);
            var directory = system ? ClientConfig.SystemDirectory : ClientConfig.UserDirectory;
            var rootFile = Path.Combine(directory, "tls-root.pem");
            var knownHosts = Path.Combine(directory, "known_hosts");
            var revokedHosts = Path.Combine(directory, "revoked-hosts.krl");

            // Everything is fetched and checked before the first file is written.
            var client = new Connection(null, server, null, null, null) { Roots = [root], Timeout = global.Connection(result).Timeout }.CreateClient();
            var keys = await client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = pattern }, cancellationToken: cancel).ConfigureAwait(false);
            var (krl, krlSignature, krlVersion) = await KrlInstaller.FetchAsync(client, cancel).ConfigureAwait(false);
            var userCaKeys = TrustInstaller.UserCaKeys(keys);
            // Setup starts the trust state over, anchored on the user CA keys of the CA whose TLS
            // root the operator's fingerprint pinned (running it again is how a user resets it).
            var trust = TrustFile.Fresh(knownHosts, pattern, userCaKeys);
            TrustInstaller.Check(await client.GetTrustSetAsync(new GetTrustSetRequest(), cancellationToken: cancel).ConfigureAwait(false), trust);

            Directory.CreateDirectory(directory);
            FileOutput.WriteAtomically(rootFile, root.ExportCertificatePem() + "\n", PublicMode);
            KrlInstaller.Install(revokedHosts, krl, krlSignature, trust, krlVersion);
            var config = new ClientConfig { Server = server, ServerCa = rootFile, KnownHostsFile = knownHosts, RevokedHostKeysFile = revokedHosts, HostsPattern = pattern };
            FileOutput.WriteAtomically(system ? ClientConfig.SystemFile : ClientConfig.UserFile, config.Serialize(), PublicMode);
            var sshConfig = system ? WriteSystemSshConfig(knownHosts, revokedHosts) : WriteUserSshConfig(knownHosts, revokedHosts);
            await Console.Out.WriteLineAsync($"""
                Trusted {server}: its TLS root {Fingerprint(root)} ({root.Subject}) is pinned in {rootFile}.
                ssh trusts host certificates from this CA for {pattern}: {knownHosts}, read through {sshConfig},
                and refuses those the CA revoked: {revokedHosts} (KRL version {krlVersion}, refreshed by login).
                The client configuration is {(system ? ClientConfig.SystemFile : ClientConfig.UserFile)}; next: ssh-hsm-ca login
                """).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>SHA-256 of the certificate's DER, as <c>SHA256:</c> and unpadded base64 (as ssh prints key fingerprints).</summary>
    internal static string Fingerprint(X509Certificate2 certificate) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(certificate.RawData)).TrimEnd('=');

    /// <summary>"SHA256:base64", hex ("AB12…"), or openssl's "sha256 Fingerprint=AB:12:…".</summary>
    internal static byte[] ParseFingerprint(string text)
    {
        var value = text.Trim();
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (value.StartsWith("sha256 Fingerprint=", StringComparison.OrdinalIgnoreCase) || value.StartsWith("SHA256 Fingerprint=", StringComparison.Ordinal))
        {
            value = value[(equals + 1)..];
        }

        if (value.StartsWith("SHA256:", StringComparison.Ordinal))
        {
            var base64 = value[7..];
            var padded = base64 + new string('=', (4 - base64.Length % 4) % 4);
            var bytes = new byte[32];
            if (Convert.TryFromBase64String(padded, bytes, out var written) && written == 32)
            {
                return bytes;
            }
        }
        else
        {
            var hex = value.Replace(":", string.Empty, StringComparison.Ordinal);
            if (hex.Length == 64 && hex.All(char.IsAsciiHexDigit))
            {
                return Convert.FromHexString(hex);
            }
        }

        throw new UsageException($"--fingerprint: '{text}' is not a SHA-256 fingerprint (SHA256:base64, or 64 hex digits)");
    }

    /// <summary>
    /// Asks the server for its TLS root without trusting it yet (one call, no credential, public
    /// data), then trusts it only when its fingerprint is <paramref name="expected"/> and the
    /// certificate the server presented chains to it for this host name.
    /// </summary>
    private static async Task<X509Certificate2> PinRootAsync(Uri url, byte[] expected, string pattern, CancellationToken cancel)
    {
        byte[]? presented = null;
        var nameMismatch = false;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Not a trust decision: the certificate is recorded and judged below, against the pinned root.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    presented = certificate?.GetRawCertData();
                    nameMismatch = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None;
                    return certificate is not null;
                },
            },
        };
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(url, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var reply = await new CertificateAuthorityService.CertificateAuthorityServiceClient(channel)
            .GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = pattern }, cancellationToken: cancel).ConfigureAwait(false);
        if (reply.TlsRootPem.Length == 0)
        {
            throw new IOException($"refused to trust {url}: it does not publish its TLS root (its certificate file ends without one); get the root PEM from the operator and use --server-ca; nothing was written");
        }

        var root = X509Certificate2.CreateFromPem(reply.TlsRootPem);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(root.RawData), expected))
        {
            throw new IOException($"refused to trust {url}: its TLS root is {root.Subject} with the fingerprint {Fingerprint(root)}, not {"SHA256:" + Convert.ToBase64String(expected).TrimEnd('=')}; check the fingerprint with the operator; nothing was written");
        }

        using var leaf = X509CertificateLoader.LoadCertificate(presented ?? throw new IOException($"refused to trust {url}: it presented no certificate; nothing was written"));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(leaf) || nameMismatch)
        {
            throw new IOException($"refused to trust {url}: its certificate ({leaf.Subject}) {(nameMismatch ? $"is not for {url.Host}" : $"does not chain to {root.Subject}")}; nothing was written");
        }

        return root;
    }

    /// <summary>~/.ssh/ssh-hsm-ca.conf, Included at the top of ~/.ssh/config (created if missing; the user's lines kept as they are).</summary>
    private static string WriteUserSshConfig(string knownHosts, string revokedHosts)
    {
        var ssh = Path.Combine(ClientConfig.Home, ".ssh");
        Directory.CreateDirectory(ssh);
        File.SetUnixFileMode(ssh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var ours = Path.Combine(ssh, "ssh-hsm-ca.conf");
        FileOutput.WriteAtomically(ours, $"# Written by ssh-hsm-ca setup: the CA's @cert-authority line, beside your own known_hosts, and its signed KRL.\nUserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts2 {knownHosts}\nRevokedHostKeys {revokedHosts}\n", PrivateMode);
        var config = Path.Combine(ssh, "config");
        var include = $"Include {ours}";
        var existing = File.Exists(config) ? CliFiles.ReadText(config, CliFiles.MaxListFile) : string.Empty;
        if (!existing.Split('\n').Any(l => l.Trim() == include))
        {
            // At the top: an Include after a Host block would apply to that block only.
            FileOutput.WriteAtomically(config, $"{include}\n{existing}", PrivateMode);
        }

        return ours;
    }

    /// <summary>/etc/ssh/ssh_config.d/ssh-hsm-ca.conf (Debian's ssh_config includes that folder).</summary>
    private static string WriteSystemSshConfig(string knownHosts, string revokedHosts)
    {
        var path = "/etc/ssh/ssh_config.d/ssh-hsm-ca.conf";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileOutput.WriteAtomically(path, $"# Written by ssh-hsm-ca setup --system.\nGlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 {knownHosts}\nRevokedHostKeys {revokedHosts}\n", PublicMode);
        return path;
    }
}
