using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The development configuration (<c>ssh-hsm-cad --dev DIR</c>): on first run, a SoftHSM2 token in
/// DIR with an Ed25519 user CA key and host CA key generated on it, a random PIN in a 0600 file,
/// a TLS PKI for 127.0.0.1 with a client certificate, a permissive policy for the current user,
/// and the operator socket in DIR. Later runs reuse it. Never for production: the PIN is in a file
/// next to the token.
/// </summary>
internal static partial class DevEnvironment
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private const string TokenLabel = "ssh-hsm-ca-dev";
    private static readonly JsonSerializerOptions ConfigJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates DIR's environment if needed and returns the path of its config.json.</summary>
    public static string Prepare(string directory, int port, string? oidcIssuer = null)
    {
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var conf = Path.Combine(directory, "softhsm2.conf");
        var config = Path.Combine(directory, "config.json");
        if (!File.Exists(conf))
        {
            Directory.CreateDirectory(Path.Combine(directory, "tokens"));
            File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(directory, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        }

        // SoftHSM reads SOFTHSM2_CONF with getenv when the module loads; .NET's environment does not reach it.
        if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }

        if (File.Exists(config))
        {
            WriteEveryStart(directory, port, oidcIssuer);
            return config;
        }

        Console.WriteLine($"ssh-hsm-cad: creating a development CA in {directory}");
        var pin = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var soPin = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        WritePrivate(Path.Combine(directory, "pin"), pin + "\n");
        Pkcs11KeyCeremony.InitializeToken(Module, TokenLabel, Encoding.ASCII.GetBytes(soPin), Encoding.ASCII.GetBytes(pin));
        using (var token = Pkcs11Token.Open(Pkcs11KeyUri.Parse($"pkcs11:token={TokenLabel};object=user-ca?module-path={Module}"), Encoding.ASCII.GetBytes(pin), readWrite: true))
        {
            Pkcs11KeyCeremony.Generate(token, CaKeyType.Ed25519, "user-ca", [1]);
            Pkcs11KeyCeremony.Generate(token, CaKeyType.Ed25519, "host-ca", [2]);
            Pkcs11KeyCeremony.Generate(token, CaKeyType.Ed25519, "log-key", [3]);
        }

        WritePki(directory);
        var options = new DaemonOptions
        {
            Tls = new TlsListenerOptions { Address = "127.0.0.1", Port = port, CertificateFile = Path.Combine(directory, "server.pem"), KeyFile = Path.Combine(directory, "server.key"), ClientCaFile = Path.Combine(directory, "tls-ca.pem") },
            UnixSocket = new UnixSocketOptions { Path = Path.Combine(directory, "ca.sock"), Mode = "0600" },
            UserCa = new CaKeyOptions { Uri = $"pkcs11:token={TokenLabel};object=user-ca?module-path={Module}", PinFile = Path.Combine(directory, "pin") },
            HostCa = new CaKeyOptions { Uri = $"pkcs11:token={TokenLabel};object=host-ca?module-path={Module}", PinFile = Path.Combine(directory, "pin") },
            PolicyFile = Path.Combine(directory, "policy.json"),
            AuditDatabase = Path.Combine(directory, "audit.db"),
            // The issuance log's checkpoints, signed by a third key on the token (docs/audit-log.md).
            Log = new Transparency.LogOptions
            {
                Origin = "ssh-hsm-ca.dev/log",
                Key = new CaKeyOptions { Uri = $"pkcs11:token={TokenLabel};object=log-key?module-path={Module}", PinFile = Path.Combine(directory, "pin") },
                CheckpointSeconds = 1,
            },
        };
        File.WriteAllText(config, JsonSerializer.Serialize(options, ConfigJson));
        WriteEveryStart(directory, port, oidcIssuer);
        return config;
    }

    /// <summary>
    /// Written on every start, so that one development directory runs with what this start's
    /// command line says: the TLS port (<c>conf.d/port.json</c>, over config.json), the policy
    /// (rewritten: edit a copy and point <c>policyFile</c> at it in conf.d to keep your own), and
    /// <c>conf.d/oidc.json</c> when an issuer is given (a loopback development identity provider;
    /// the TLS listener then also admits callers with an ID or bootstrap token instead of a client
    /// certificate).
    /// </summary>
    private static void WriteEveryStart(string directory, int port, string? oidcIssuer)
    {
        var confD = Path.Combine(directory, "conf.d");
        Directory.CreateDirectory(confD);
        File.WriteAllText(Path.Combine(confD, "port.json"), string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""{ "tls": { "port": {{port}} } }""") + "\n");
        var user = Environment.UserName;
        var sso = oidcIssuer is null ? string.Empty : $$"""
                { "name": "sso-users", "match": [ { "oidc": { "issuer": "{{oidcIssuer}}" } } ],
                  "user": { "principals": ["{claim:preferred_username}"], "validity": { "default": "8h", "max": "12h", "backdate": "1m" } } },
            """;
        File.WriteAllText(Path.Combine(directory, "policy.json"), $$"""
            {
              "roles": [
            {{sso}}    { "name": "dev-clients", "match": [ { "mtls": { "subjects": ["CN=dev-client"] } } ],
                  "user": { "principals": ["{{user}}"], "validity": { "default": "8h", "max": "12h", "backdate": "1m" } } },
                { "name": "operators", "match": [ { "unix": { "users": ["{{user}}"] } } ],
                  "operator": ["tokens", "audit", "batch", "ceremony", "revoke", "rotate"],
                  "user": { "principals": ["{{user}}"] },
                  "host": { "names": ["localhost", "*.ssh-hsm-ca.test"], "validity": { "default": "30d", "max": "90d", "backdate": "5m" } } },
                { "name": "new-hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
                  "host": { "names": ["localhost", "*.ssh-hsm-ca.test"], "validity": { "default": "30d", "max": "90d", "backdate": "5m" } } }
              ]
            }
            """);
        var oidcFile = Path.Combine(confD, "oidc.json");
        if (oidcIssuer is null)
        {
            if (File.Exists(oidcFile))
            {
                File.Delete(oidcFile);
            }

            return;
        }

        File.WriteAllText(oidcFile, $$"""
            {
              "oidc": { "issuer": "{{oidcIssuer}}", "clientId": "ssh-hsm-ca", "allowLoopbackHttp": true },
              "tls": { "requireClientCertificate": false }
            }
            """);
    }

    internal static void WritePki(string directory)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ssh-hsm-ca development TLS CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(directory, "tls-ca.pem"), ca.ExportCertificatePem());
        Issue("CN=127.0.0.1", "1.3.6.1.5.5.7.3.1", "server");
        Issue("CN=dev-client", "1.3.6.1.5.5.7.3.2", "client");

        void Issue(string subject, string usage, string name)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
            if (name == "server")
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
            }

            using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90), RandomNumberGenerator.GetBytes(12));
            // The server's file is its full chain: the daemon sends the root too, for clients that pin it.
            File.WriteAllText(Path.Combine(directory, name + ".pem"), certificate.ExportCertificatePem() + "\n" + (name == "server" ? ca.ExportCertificatePem() + "\n" : string.Empty));
            WritePrivate(Path.Combine(directory, name + ".key"), key.ExportPkcs8PrivateKeyPem());
        }
    }

    private static void WritePrivate(string path, string contents)
    {
        File.WriteAllText(path, string.Empty);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, contents);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
