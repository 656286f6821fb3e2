using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Tests.Support;

/// <summary>
/// The daemon's real host (DaemonHost.Build: services, interceptors, policy, SQLite audit store)
/// served by ASP.NET Core's TestServer in process, with software CA keys and a fake clock. The TLS
/// handshake is Kestrel's and is tested in Interop.Tests; here a test names the client
/// certificate a call arrives with in a header that only this harness reads.
/// </summary>
internal sealed class InProcessDaemon : IAsyncDisposable
{
    private const string CertificateHeader = "x-test-client-certificate";
    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly GrpcChannel _channel;

    private InProcessDaemon(WebApplication app, string dir, FakeTimeProvider time, SoftwareCaKey user, SoftwareCaKey host, DaemonOptions options, Dictionary<string, SoftwareCaKey> devices)
    {
        Options = options;
        Devices = devices;
        _app = app;
        _dir = dir;
        Time = time;
        UserKey = user;
        HostKey = host;
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
        Client = new CertificateAuthorityService.CertificateAuthorityServiceClient(_channel);
    }

    public static string DefaultPolicy => """
        {
          "roles": [
            { "name": "laptops", "match": [ { "mtls": { "subjects": ["CN=alice-laptop*"] } } ],
              "user": { "principals": ["alice"], "validity": { "default": "1h", "max": "8h", "backdate": "1m" } } },
            { "name": "operators", "match": [ { "mtls": { "subjects": ["CN=operator"] } } ],
              "operator": ["tokens", "audit", "batch", "revoke", "rotate"],
              "host": { "names": ["*.example.test"], "validity": { "default": "720h", "max": "2160h" } } },
            { "name": "auditors", "match": [ { "mtls": { "subjects": ["CN=auditor"] } } ],
              "operator": ["audit"] },
            { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
              "host": { "names": ["*.example.test"], "validity": { "default": "720h", "max": "720h" } } }
          ]
        }
        """;

    /// <summary>A user's laptop (the "laptops" role: user certificates for alice).</summary>
    public static X509Certificate2 Alice { get; } = Certificate("CN=alice-laptop-1");

    /// <summary>The operator (host certificates, tokens, audit, batch, revoke).</summary>
    public static X509Certificate2 Operator { get; } = Certificate("CN=operator");

    /// <summary>An auditor (the audit right alone).</summary>
    public static X509Certificate2 Auditor { get; } = Certificate("CN=auditor");

    public FakeTimeProvider Time { get; }

    /// <summary>The configuration in force; a test changes its CA keys and calls ReloadConfiguration.</summary>
    public DaemonOptions Options { get; }

    /// <summary>The software "devices" by URI: a reload opens the key a URI names from here.</summary>
    public Dictionary<string, SoftwareCaKey> Devices { get; }

    /// <summary>Directory of the daemon's files.</summary>
    public string Directory => _dir;

    public SoftwareCaKey UserKey { get; }

    public SoftwareCaKey HostKey { get; }

    public CertificateAuthorityService.CertificateAuthorityServiceClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessDaemon> StartAsync(string? policy = null, Action<Microsoft.Extensions.Logging.ILoggingBuilder>? logging = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("sshhsmca-inprocess-").FullName;
        File.WriteAllText(Path.Combine(dir, "policy.json"), policy ?? DefaultPolicy);
        File.WriteAllText(Path.Combine(dir, "pin"), "unused\n");
        var options = new DaemonOptions
        {
            UnixSocket = new UnixSocketOptions { Path = Path.Combine(dir, "unused.sock") },
            PolicyFile = Path.Combine(dir, "policy.json"),
            AuditDatabase = Path.Combine(dir, "audit.db"),
            JournalSocket = string.Empty,
            UserCa = new CaKeyOptions { Uri = "pkcs11:token=in-process;object=user", PinFile = Path.Combine(dir, "pin") },
            HostCa = new CaKeyOptions { Uri = "pkcs11:token=in-process;object=host", PinFile = Path.Combine(dir, "pin") },
            Log = new SshHsmCa.CaDaemon.Transparency.LogOptions { Origin = "in-process.test/log", SignerName = "in-process.test" },
        };
        var logKey = new SoftwareEd25519Key("log");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var user = new SoftwareCaKey("user");
        var host = new SoftwareCaKey("host");
        var devices = new Dictionary<string, SoftwareCaKey>(StringComparer.Ordinal) { [options.UserCa.Uri] = user, [options.HostCa.Uri] = host };
        var app = DaemonHost.Build(options, [], logging, keys: new CaKeySet([
            new CaKeyEntry("userCa", SshHsmCa.Ssh.Certificates.SshCertificateType.User, SshHsmCa.Ssh.Trust.CaKeyState.Active, user.PublicKey, user) { Uri = options.UserCa.Uri },
            new CaKeyEntry("hostCa", SshHsmCa.Ssh.Certificates.SshCertificateType.Host, SshHsmCa.Ssh.Trust.CaKeyState.Active, host.PublicKey, host) { Uri = options.HostCa.Uri },
        ]), configure: builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddSingleton(sp => new CaKeyLoader(sp.GetRequiredService<SshHsmCa.CaDaemon.Audit.IAuditStore>(), (_, key) => devices.TryGetValue(key.Uri!, out var device) ? device : throw new SshHsmCa.Hsm.HsmException(SshHsmCa.Hsm.HsmErrorKind.TokenNotFound, $"no software device at {key.Uri}"), time));
            builder.Services.AddSingleton<IStartupFilter, ClientCertificateFromHeader>();
        }, logKey: logKey);
        await app.StartAsync();
        return new InProcessDaemon(app, dir, time, user, host, options, devices);
    }

    /// <summary>Call options for a caller presenting <paramref name="certificate"/> (null: no certificate).</summary>
    public static CallOptions As(X509Certificate2? certificate, string? authorization = null)
    {
        var headers = new Metadata();
        if (certificate is not null)
        {
            headers.Add(CertificateHeader, Convert.ToBase64String(certificate.RawData));
        }

        if (authorization is not null)
        {
            headers.Add("authorization", authorization);
        }

        return new CallOptions(headers);
    }

    /// <summary>A client certificate (self-signed: the chain is Kestrel's business, not the services').</summary>
    public static X509Certificate2 Certificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var device in Devices.Values)
        {
            await device.DisposeAsync();
        }

        System.IO.Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Puts the header's certificate where Kestrel puts a validated client certificate.</summary>
    private sealed class ClientCertificateFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(CertificateHeader, out var value))
                {
                    context.Connection.ClientCertificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(value.ToString()));
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
