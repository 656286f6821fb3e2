using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// The real daemon, in process: CA keys on a SoftHSM token of its own, a SQLite audit log, an
/// mTLS listener on a free loopback port with a test PKI, and the operator Unix socket.
/// </summary>
internal sealed class DaemonUnderTest : IAsyncDisposable
{
    private readonly TempDir _dir;
    private readonly WebApplication _app;

    private DaemonUnderTest(TempDir dir, WebApplication app, TestPki pki, int port, DaemonOptions options, string token)
    {
        Token = token;
        _dir = dir;
        _app = app;
        Pki = pki;
        Port = port;
        Options = options;
    }

    private static readonly System.Text.Json.JsonSerializerOptions ConfigJson = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public TestPki Pki { get; }

    /// <summary>The SoftHSM token holding the CA keys.</summary>
    public string Token { get; }

    public int Port { get; }

    public DaemonOptions Options { get; }

    public string SocketPath => Options.UnixSocket!.Path;

    /// <summary>The configuration file, when the daemon was started from one (configFile).</summary>
    public string? ConfigPath => Options.SourcePath;

    /// <summary>The daemon's directory (keys' PIN file, TLS files, configuration).</summary>
    public string Directory => _dir.Path;

    public static string DefaultPolicy => $$"""
        {
          "roles": [
            { "name": "laptops", "match": [ { "mtls": { "subjects": ["CN=alice-laptop*"] } } ],
              "user": { "principals": ["{{SshdServer.User}}"], "validity": { "default": "1h", "max": "8h", "backdate": "1m" }, "keys": { "rsaMinBits": 2048 } } },
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit", "batch", "ceremony", "revoke"],
              "user": { "principals": ["{{SshdServer.User}}"] },
              "host": { "names": ["{{SshdServer.HostAlias}}"] } }
          ]
        }
        """;

    public static Task<DaemonUnderTest> StartAsync(SoftHsm hsm, CaKeyType type = CaKeyType.EcdsaP256, string? policy = null, string journalSocket = "", Action<DaemonOptions>? configure = null, bool configFile = false)
    {
        var token = hsm.CreateToken("daemon");
        SoftHsm.Generate(token, type, "user-ca", 1);
        SoftHsm.Generate(token, type, "host-ca", 2);
        return StartAsync(SoftHsm.UserPin, pin => (new CaKeyOptions { Uri = SoftHsm.Uri(token, "user-ca"), PinFile = pin, Pkcs11 = new() { PoolSize = 2 } }, new CaKeyOptions { Uri = SoftHsm.Uri(token, "host-ca"), PinFile = pin, Pkcs11 = new() { PoolSize = 2 } }), token, policy, journalSocket, configure, configFile);
    }

    /// <summary>
    /// The daemon with CA keys elsewhere (a PIV card): <paramref name="keys"/> gets the PIN file's
    /// path. With <paramref name="configFile"/> the configuration is written to config.json and
    /// loaded from there, as the daemon does (reloads then read it, with conf.d).
    /// </summary>
    public static async Task<DaemonUnderTest> StartAsync(string userPin, Func<string, (CaKeyOptions User, CaKeyOptions Host)> keys, string token, string? policy = null, string journalSocket = "", Action<DaemonOptions>? configure = null, bool configFile = false)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var dir = new TempDir("sshhsmca-daemon-");
        var pin = dir.Write("pin", userPin + "\n");
        var (userCa, hostCa) = keys(pin);
        var pki = new TestPki("daemon");
        using var server = pki.Issue("CN=127.0.0.1", server: true);
        TestPki.WritePem(server, dir.PathOf("server.pem"), dir.PathOf("server.key"));
        TestPki.WritePem(pki.Ca, dir.PathOf("client-ca.pem"), null);
        dir.Write("policy.json", policy ?? DefaultPolicy);
        var port = Repository.FreePort();
        var options = new DaemonOptions
        {
            Metrics = new MetricsOptions { Address = "127.0.0.1", Port = Repository.FreePort() },
            Tls = new TlsListenerOptions { Address = "127.0.0.1", Port = port, CertificateFile = dir.PathOf("server.pem"), KeyFile = dir.PathOf("server.key"), ClientCaFile = dir.PathOf("client-ca.pem") },
            UnixSocket = new UnixSocketOptions { Path = dir.PathOf("ca.sock"), Mode = "0600" },
            UserCa = userCa,
            HostCa = hostCa,
            PolicyFile = dir.PathOf("policy.json"),
            AuditDatabase = dir.PathOf("audit.db"),
            JournalSocket = journalSocket,
        };
        configure?.Invoke(options);
        if (configFile)
        {
            var path = dir.Write("config.json", System.Text.Json.JsonSerializer.Serialize(options, ConfigJson));
            var (loaded, errors) = ConfigurationLoader.Load(path);
            Assert.True(errors.Count == 0, string.Join("\n", errors));
            options = loaded!;
        }

        var app = DaemonHost.Build(options);
        await app.StartAsync();
        return new DaemonUnderTest(dir, app, pki, port, options, token);
    }

    /// <summary>Swaps the policy, as SIGHUP does for the process.</summary>
    public void ReplacePolicy(string json) => _app.Services.GetRequiredService<SshHsmCa.CaDaemon.Issuing.PolicyHolder>().Reload(json);

    /// <summary>The PEM file of the CA that signed the server's TLS certificate.</summary>
    public string ServerCaFile => Options.Tls!.ClientCaFile!;

    /// <summary>The CLI against this daemon's TLS listener (its CA pinned), with <paramref name="environment"/>.</summary>
    internal ProcessRunner.Result Cli(IDictionary<string, string> environment, params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{Port}", "--server-ca", ServerCaFile, .. arguments], environment, 120_000);

    /// <summary>A client over mTLS presenting <paramref name="clientCertificate"/> (or none).</summary>
    public CertificateAuthorityService.CertificateAuthorityServiceClient TlsClient(X509Certificate2? clientCertificate)
    {
        var ca = Pki.Ca;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [X509CertificateLoader.LoadPkcs12(clientCertificate.Export(X509ContentType.Pkcs12), null)],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        return new CertificateAuthorityService.CertificateAuthorityServiceClient(GrpcChannel.ForAddress($"https://127.0.0.1:{Port}", new GrpcChannelOptions { HttpHandler = handler }));
    }

    /// <summary>A client on the operator socket.</summary>
    public CertificateAuthorityService.CertificateAuthorityServiceClient SocketClient() => new(SocketChannel());

    /// <summary>A channel on the operator socket, for the health and reflection services.</summary>
    public GrpcChannel SocketChannel() => SocketChannel(SocketPath);

    /// <summary>A channel on any daemon's Unix socket.</summary>
    public static GrpcChannel SocketChannel(string path)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Pki.Dispose();
        _dir.Dispose();
    }
}
