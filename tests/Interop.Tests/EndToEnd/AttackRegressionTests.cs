using System.Net;
using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 13: each hole found by attacking the running daemon, as a test that failed on the main
/// of 2026-11-25 and passes now. In-process daemon, real TLS, real Unix socket, SoftHSM2 keys.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class AttackRegressionTests(SoftHsm hsm)
{
    private static readonly string HostsPolicy = $$"""
        {
          "roles": [
            { "name": "laptops", "match": [ { "mtls": { "subjects": ["CN=alice-laptop*"] } } ],
              "user": { "principals": ["{{SshdServer.User}}"] } },
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit"],
              "host": { "names": ["web9.example.internal", "*.batch.test"] } },
            { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
              "host": { "names": ["*.example.internal"], "keys": { "rsaMinBits": 3072 } } }
          ]
        }
        """;

    private static string NewHostKey(TempDir dir, string name, string type = "ed25519", string bits = "")
    {
        var path = dir.PathOf(name);
        string[] arguments = bits.Length > 0 ? ["-q", "-t", type, "-b", bits, "-N", "", "-f", path] : ["-q", "-t", type, "-N", "", "-f", path];
        var made = ProcessRunner.Run(Tools.SshKeygen, arguments);
        Assert.True(made.ExitCode == 0, made.Output);
        return path;
    }

    private static long AuthEventRows(DaemonUnderTest daemon)
    {
        using var connection = new SqliteConnection($"Data Source={daemon.Options.AuditDatabase};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM auth_events;";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Defect 1: every operator RPC asks the policy, whatever listener the caller came through.</summary>
    [Fact]
    public async Task OperatorRpcsNeedTheirNamedRightFromThePolicy()
    {
        var policy = $$"""
            {
              "roles": [
                { "name": "signers", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
                  "host": { "names": ["*.batch.test"] } },
                { "name": "auditors", "match": [ { "mtls": { "subjects": ["CN=auditor"] } } ], "operator": ["audit"] }
              ]
            }
            """;
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: policy);
        var socket = daemon.SocketClient();

        // A socket peer whose roles name no operator right may sign what its host grant allows, nothing more.
        async Task AssertDenied(Func<Task> call, string right)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains($"'{right}'", e.Status.Detail, StringComparison.Ordinal);
            var failure = e.GetRpcStatus()!.GetDetail<PreconditionFailure>();
            Assert.Equal("permission-not-granted", Assert.Single(failure.Violations).Type);
        }

        await AssertDenied(() => socket.CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "a.batch.test" } }).ResponseAsync, "tokens");
        await AssertDenied(() => socket.ListCertificatesAsync(new ListCertificatesRequest()).ResponseAsync, "audit");
        await AssertDenied(() => socket.GetCertificateAsync(new GetCertificateRequest { Serial = 1 }).ResponseAsync, "audit");
        await AssertDenied(() => socket.GeneratePivKeyAsync(new GeneratePivKeyRequest { Uri = "piv:slot=9a" }).ResponseAsync, "ceremony");
        await AssertDenied(async () =>
        {
            using var batch = socket.SignHostCertificateBatch(new SignHostCertificateBatchRequest { Hosts = { new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "a.batch.test" } } } });
            await batch.ResponseStream.MoveNext(CancellationToken.None);
        }, "batch");

        // What the host grant allows still works (an operator right is not a certificate grant either way).
        Assert.NotEqual(0UL, (await socket.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "a.batch.test" } })).Certificate.Serial);

        // mTLS callers are authorized the same way: the auditor may read, another client may not.
        using var auditorCertificate = daemon.Pki.Issue("CN=auditor", server: false);
        var auditor = daemon.TlsClient(auditorCertificate);
        Assert.Single((await auditor.ListCertificatesAsync(new ListCertificatesRequest())).Records);
        await AssertDenied(() => auditor.CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "a.batch.test" } }).ResponseAsync, "tokens");
        using var otherCertificate = daemon.Pki.Issue("CN=build-01", server: false);
        await AssertDenied(() => daemon.TlsClient(otherCertificate).ListCertificatesAsync(new ListCertificatesRequest()).ResponseAsync, "audit");
    }

    /// <summary>Defect 1, as the attacker did it: uid nobody on a socket whose mode lets it connect.</summary>
    [Fact]
    public async Task NobodyOnAnOpenSocketGetsNoTokenAndReadsNoAuditLog()
    {
        using var open = new TempDir("sshhsmca-open-");
        File.SetUnixFileMode(open.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o => o.UnixSocket = new UnixSocketOptions { Path = open.PathOf("ca.sock"), Mode = "0666" });
        Assert.NotEqual(0UL, (await daemon.SocketClient().SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() })).Certificate.Serial);

        // The CLI, copied where nobody can read it, run as nobody.
        var cli = open.PathOf("cli");
        ReadableCopy.Of(Path.GetDirectoryName(Repository.Binary("Cli", "ssh-hsm-ca.dll"))!, cli);
        ProcessRunner.Result AsNobody(params string[] arguments) => ProcessRunner.Run("/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/dotnet", Path.Combine(cli, "ssh-hsm-ca.dll"), "--socket", daemon.SocketPath, .. arguments],
            new Dictionary<string, string> { ["HOME"] = open.Path, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });

        var token = AsNobody("host", "token", "web-01.example.internal");
        Assert.Equal(1, token.ExitCode);
        Assert.Contains("permission-not-granted", token.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("shcbt_", token.Stdout, StringComparison.Ordinal);
        var audit = AsNobody("audit", "list");
        Assert.Equal(1, audit.ExitCode);
        Assert.Contains("no role matches nobody", audit.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, AsNobody("audit", "show", "1").ExitCode);

        // The operator the policy names still may.
        Assert.Single((await daemon.SocketClient().ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    /// <summary>
    /// Defect 2: the token's folder moved away while serving, then back. Requests fail UNAVAILABLE
    /// and health says NOT_SERVING while it is away; after it is back the daemon serves again by
    /// itself (the module is re-initialised), without a restart and without a request first.
    /// </summary>
    [Fact]
    public async Task TheDaemonServesAgainWhenTheTokenComesBack()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var health = new Grpc.Health.V1.Health.HealthClient(daemon.SocketChannel());
        async Task<Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus> Health() => (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status;
        var socket = daemon.SocketClient();
        var request = new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() };
        await socket.SignUserCertificateAsync(request);

        using (hsm.TakeAway(daemon.Token))
        {
            RpcException? failure = null;
            for (var i = 0; i < 100 && failure is null; i++)
            {
                try
                {
                    await socket.SignUserCertificateAsync(request);
                    await Task.Delay(50);
                }
                catch (RpcException e)
                {
                    failure = e;
                }
            }

            Assert.Equal(StatusCode.Unavailable, failure?.StatusCode);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, await Health());
        }

        for (var i = 0; i < 300 && await Health() != Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await Health());
        Assert.NotEqual(0UL, (await socket.SignUserCertificateAsync(request)).Certificate.Serial);
    }

    /// <summary>Defect 3: a flood of unauthenticated BeginHostRenewal calls stores nothing and locks nobody out.</summary>
    [Fact]
    public async Task AFloodOfRenewalChallengesDoesNotLockOutTheHost()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: HostsPolicy);
        using var dir = new TempDir("sshhsmca-renew-");
        var key = NewHostKey(dir, "ssh_host_ed25519_key");
        var socket = daemon.SocketClient();
        var issued = (await socket.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = File.ReadAllText(key + ".pub"), Principals = { "web9.example.internal" } })).Certificate;

        // 10,000 challenges for the host's public certificate (the attack filled a table of 10,000).
        for (var i = 0; i < 10_000; i += 100)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => socket.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = issued.Certificate }).ResponseAsync));
        }

        var challenge = await socket.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = issued.Certificate });
        var message = dir.Write("challenge", string.Empty);
        File.WriteAllBytes(message, challenge.Message.ToByteArray());
        var signed = ProcessRunner.Run(Tools.SshKeygen, ["-q", "-Y", "sign", "-n", challenge.Namespace, "-f", key, message]);
        Assert.True(signed.ExitCode == 0, signed.Output);
        var request = new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = File.ReadAllText(message + ".sig") };
        var renewed = (await socket.RenewHostCertificateAsync(request)).Certificate;
        Assert.Equal(["web9.example.internal"], renewed.Principals);

        // Used once: the same proof again is refused.
        var replay = await Assert.ThrowsAsync<RpcException>(() => socket.RenewHostCertificateAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
    }

    /// <summary>Defect 4: failed authentications are counted, not written, and a source that keeps failing is throttled.</summary>
    [Fact]
    public async Task GarbageBootstrapTokensWriteNothingAndTheSourceIsThrottled()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: HostsPolicy, configure: o =>
        {
            o.Tls!.RequireClientCertificate = false;
            o.RateLimits = new CaDaemon.Auth.RateLimitOptions { FailuresBurst = 20, FailuresPerMinute = 6 };
        });
        var rowsBefore = AuthEventRows(daemon);
        var anonymous = daemon.TlsClient(null);
        var codes = new List<StatusCode>();
        for (var i = 0; i < 300; i++)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => anonymous.SignHostCertificateAsync(
                new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "web-01.example.internal" } },
                new Metadata { { "authorization", $"Bootstrap shcbt_{i:x12}_{new string('a', 43)}" } }).ResponseAsync);
            codes.Add(e.StatusCode);
        }

        Assert.Equal(StatusCode.Unauthenticated, codes[0]);
        Assert.Equal(20, codes.Count(c => c == StatusCode.Unauthenticated));
        Assert.Equal(280, codes.Count(c => c == StatusCode.ResourceExhausted));
        Assert.Equal(rowsBefore, AuthEventRows(daemon));

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{daemon.Options.Metrics!.Port}/metrics");
        Assert.Contains("sshhsmca_auth_failures_total{method=\"SignHostCertificate\"} 20", metrics, StringComparison.Ordinal);
        Assert.Contains("sshhsmca_throttled_total{limit=\"failures\"} 280", metrics, StringComparison.Ordinal);

        // The operator socket is not a network source: it is never throttled by the network's failures.
        Assert.NotNull(await daemon.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest()));
    }

    /// <summary>Defect 5: client certificates from the trusted CA without the clientAuth EKU authenticate nobody.</summary>
    [Theory]
    [InlineData("1.3.6.1.5.5.7.3.1")]
    [InlineData("")]
    public async Task ClientCertificatesWithoutClientAuthAreRefused(string usage)
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var certificate = daemon.Pki.Issue("CN=alice-laptop", server: false, null, usage.Length > 0 ? [usage] : []);
        var e = await Assert.ThrowsAsync<RpcException>(() => daemon.TlsClient(certificate).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() }).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, e.StatusCode);
        using var good = daemon.Pki.Issue("CN=alice-laptop", server: false);
        Assert.NotEqual(0UL, (await daemon.TlsClient(good).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() })).Certificate.Serial);
    }

    /// <summary>Defect 6: /metrics only on the metrics listener, whatever the Host header says.</summary>
    [Fact]
    public async Task MetricsAreNotServedThroughTheTlsListener()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o => o.Tls!.RequireClientCertificate = false);
        var ca = daemon.Pki.Ca;
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                    chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate));
                },
            },
        };
        using var http = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{daemon.Port}/metrics") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = $"127.0.0.1:{daemon.Options.Metrics!.Port}";
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("sshhsmca_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var plain = new HttpClient();
        Assert.Contains("sshhsmca_", await plain.GetStringAsync($"http://127.0.0.1:{daemon.Options.Metrics.Port}/metrics"), StringComparison.Ordinal);
    }

    /// <summary>Defect 7: a denial (wrong principal, weak key) leaves the one-time token unused.</summary>
    [Fact]
    public async Task APolicyDenialDoesNotBurnTheBootstrapToken()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: HostsPolicy, configure: o => o.Tls!.RequireClientCertificate = false);
        var token = (await daemon.SocketClient().CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "web9.example.internal" } })).Token;
        var host = daemon.TlsClient(null);
        var bearer = new Metadata { { "authorization", "Bootstrap " + token } };
        using var dir = new TempDir("sshhsmca-token-");
        var weak = NewHostKey(dir, "weak", "rsa", "1024");

        var wrongName = await Assert.ThrowsAsync<RpcException>(() => host.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "localhost" } }, bearer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, wrongName.StatusCode);
        var weakKey = await Assert.ThrowsAsync<RpcException>(() => host.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = File.ReadAllText(weak + ".pub"), Principals = { "web9.example.internal" } }, bearer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, weakKey.StatusCode);

        var issued = (await host.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "web9.example.internal" } }, bearer)).Certificate;
        Assert.Equal(["web9.example.internal"], issued.Principals);
        var again = await Assert.ThrowsAsync<RpcException>(() => host.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line() }, bearer).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, again.StatusCode);
        Assert.Contains("already used", again.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Defect 8: bytes that are not a protobuf message are INVALID_ARGUMENT, not UNKNOWN.</summary>
    [Theory]
    [InlineData("0aff")]                 // field 1, a length whose varint never ends
    [InlineData("0a0380ff61")]           // field 1, a string that is not UTF-8
    [InlineData("0affffffff0f")]         // field 1, a length far past the end
    [InlineData("00")]                   // tag 0
    public async Task MalformedProtobufIsAnInvalidArgument(string hex)
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var message = Convert.FromHexString(hex);
        var frame = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(daemon.SocketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/sshhsmca.v1.CertificateAuthorityService/SignUserCertificate") { Content = new ByteArrayContent(frame), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.Single()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.Single()
            : $"(none: HTTP {(int)response.StatusCode}, headers {response.Headers}, trailers {response.TrailingHeaders})";
        var detail = response.Headers.TryGetValues("grpc-message", out var m) ? m.Single() : response.TrailingHeaders.TryGetValues("grpc-message", out var tm) ? tm.Single() : string.Empty;
        Assert.True(status == "3", $"grpc-status {status}: {Uri.UnescapeDataString(detail)}");
        Assert.Contains("SignUserCertificateRequest", Uri.UnescapeDataString(detail), StringComparison.Ordinal);
    }
}
