using SshHsmCa.Tests.Shared;
using Google.Rpc;
using Grpc.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Interop.Tests;

/// <summary>The daemon over real TLS and its Unix socket, keys on SoftHSM2, judged by sshd.</summary>
[Collection(SoftHsmGroup.Name)]
public class DaemonTests(SoftHsm hsm)
{
    [Fact]
    public async Task ACertificateFromTheApiLogsInToSshdAndIsInTheAuditLog()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var operatorClient = daemon.SocketClient();
        var keys = await operatorClient.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = SshdServer.HostAlias });
        var userCa = SshPublicKey.ParseLine(keys.UserCaPublicKey);
        var hostCa = SshPublicKey.ParseLine(keys.HostCaPublicKey);
        Assert.StartsWith($"@cert-authority {SshdServer.HostAlias} ecdsa-sha2-nistp256 ", keys.KnownHostsLine, StringComparison.Ordinal);

        // The host certificate comes from the daemon too, requested by the operator on the socket.
        await using var sshd = await SshdServer.StartAsync(userCa, async hostKey =>
        {
            var response = (await operatorClient.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = hostKey.ToOpenSshLine(), Principals = { SshdServer.HostAlias } })).Certificate;
            return SshCertificate.ParseLine(response.Certificate);
        });

        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var client = daemon.TlsClient(laptop);
        var key = sshd.NewUserKey("id_alice");
        var issued = (await client.SignUserCertificateAsync(new SignUserCertificateRequest
        {
            PublicKey = File.ReadAllText(key + ".pub"),
            RequestId = "login-test",
        })).Certificate;
        var certificate = SshCertificate.ParseLine(issued.Certificate);
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());
        Assert.Equal(userCa, certificate.SignatureKey);
        Assert.Equal([SshdServer.User], certificate.Principals);
        Assert.NotEqual(0UL, issued.Serial);

        var login = sshd.Login(key, sshd.WriteCertificate("alice-cert.pub", certificate), hostCa);
        Assert.True(login.ExitCode == 0, $"{login.Output}\n{sshd.Log}");
        Assert.Equal("login-ok", login.Stdout.Trim());

        var record = (await operatorClient.GetCertificateAsync(new GetCertificateRequest { Serial = issued.Serial })).Record;
        Assert.Equal("issued", record.Outcome);
        Assert.Equal(issued.Certificate, record.Certificate);
        Assert.Equal("alice-laptop", record.Caller);
        Assert.Equal("mtls", record.AuthMethod);
        Assert.Equal("login-test", record.RequestId);
        Assert.Equal(certificate.PublicKey.GetSha256Fingerprint(), record.SubjectKeyFingerprint);
        var list = await operatorClient.ListCertificatesAsync(new ListCertificatesRequest { Principal = SshdServer.User });
        Assert.Contains(list.Records, r => r.Serial == issued.Serial);

        // Prometheus metrics on their own loopback port.
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{daemon.Options.Metrics!.Port}/metrics");
        Assert.Matches(@"sshhsmca_certificates_issued_total\{type=""user""\} [1-9]", metrics);
        foreach (var expected in new[] { "sshhsmca_hsm_sessions{ca=\"user\"} 2", "sshhsmca_ca_key_available{ca=\"host\"} 1", "sshhsmca_signature_seconds_bucket" })
        {
            Assert.True(metrics.Contains(expected, StringComparison.Ordinal), $"'{expected}' not in:\n{metrics}");
        }
    }

    [Fact]
    public async Task AuditEventsReachJournaldWithStructuredFields()
    {
        using var dir = new TempDir("sshhsmca-journal-");
        var path = dir.PathOf("journal.sock");
        using var journald = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        journald.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, journalSocket: path);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var key = SshPublicKey.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256.pub"))).ToOpenSshLine();
        var issued = (await daemon.TlsClient(laptop).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key, RequestId = "journal-1" })).Certificate;

        var buffer = new byte[65536];
        journald.ReceiveTimeout = 10_000;
        var fields = JournalFields.Parse(buffer.AsSpan(0, journald.Receive(buffer)));
        Assert.Equal("issued", fields["OUTCOME"]);
        Assert.Equal(issued.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), fields["CERT_SERIAL"]);
        Assert.Equal(issued.KeyId, fields["CERT_KEY_ID"]);
        Assert.Equal(SshdServer.User, fields["CERT_PRINCIPALS"]);
        Assert.Equal("alice-laptop", fields["CALLER"]);
        Assert.Equal("mtls", fields["AUTH_METHOD"]);
        Assert.Equal("journal-1", fields["REQUEST_ID"]);

        using var stranger = daemon.Pki.Issue("CN=build-server", server: false);
        await Assert.ThrowsAsync<RpcException>(async () => await daemon.TlsClient(stranger).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key }));
        var denied = JournalFields.Parse(buffer.AsSpan(0, journald.Receive(buffer)));
        Assert.Equal("denied", denied["OUTCOME"]);
        Assert.Equal("no-role", denied["REASON"]);
        Assert.False(denied.ContainsKey("CERT_SERIAL"));
    }

    [Fact]
    public async Task CallersWithoutTheRightCredentialsAreRefusedAndNothingIsRecorded()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var key = SshPublicKey.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256.pub"))).ToOpenSshLine();
        var request = new SignUserCertificateRequest { PublicKey = key };

        // No client certificate: the TLS handshake is refused.
        await Assert.ThrowsAnyAsync<RpcException>(async () => await daemon.TlsClient(null).SignUserCertificateAsync(request));

        // A client certificate from another CA.
        using var otherPki = new TestPki("other");
        using var foreign = otherPki.Issue("CN=alice-laptop", server: false);
        await Assert.ThrowsAnyAsync<RpcException>(async () => await daemon.TlsClient(foreign).SignUserCertificateAsync(request));

        // An expired client certificate from the right CA.
        using var expired = daemon.Pki.Issue("CN=alice-laptop", server: false, notAfter: DateTimeOffset.UtcNow.AddMinutes(-1));
        await Assert.ThrowsAnyAsync<RpcException>(async () => await daemon.TlsClient(expired).SignUserCertificateAsync(request));

        // A valid client with no role.
        using var stranger = daemon.Pki.Issue("CN=build-server", server: false);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await daemon.TlsClient(stranger).SignUserCertificateAsync(request));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains(denied.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations, v => v.Type == "no-role");

        // The audit log is for operators only, and holds nothing.
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await daemon.TlsClient(laptop).ListCertificatesAsync(new ListCertificatesRequest()))).StatusCode);
        Assert.Empty((await daemon.SocketClient().ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    [Theory]
    [InlineData("", "public_key")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg", "public_key")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "public_key")]
    public async Task MalformedKeysAreInvalidArgumentsNamingTheField(string publicKey, string field)
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await daemon.TlsClient(laptop).SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = publicKey }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == field);
        Assert.Empty((await daemon.SocketClient().ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    [Fact]
    public async Task TooManyPrincipalsAndUnknownCriticalOptionsAreRefused()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var client = daemon.TlsClient(laptop);
        var key = SshPublicKey.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256.pub"))).ToOpenSshLine();
        var many = new SignUserCertificateRequest { PublicKey = key };
        many.Principals.AddRange(Enumerable.Range(0, 10_000).Select(i => $"p{i}"));
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await client.SignUserCertificateAsync(many))).StatusCode);

        var unknown = new SignUserCertificateRequest { PublicKey = key, CriticalOptions = { new CertificateOption { Name = "trace@example.com" } } };
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.SignUserCertificateAsync(unknown));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains(e.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations, v => v.Type == "critical-option-not-allowed");
    }

    [Fact]
    public async Task HundredsOfParallelRequestsGetUniqueSerialsAllRecorded()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var client = daemon.TlsClient(laptop);
        var key = SshPublicKey.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256.pub"))).ToOpenSshLine();
        var responses = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key, RequestId = $"r{i}" }).ResponseAsync));
        Assert.Equal(300, responses.Select(r => r.Certificate.Serial).Distinct().Count());
        Assert.All(responses, r => Assert.Equal(SignatureVerification.Valid, SshCertificate.ParseLine(r.Certificate.Certificate).VerifySignature()));
        var recorded = new List<AuditRecord>();
        var operatorClient = daemon.SocketClient();
        var page = new ListCertificatesRequest { PageSize = 100 };
        while (true)
        {
            var response = await operatorClient.ListCertificatesAsync(page);
            recorded.AddRange(response.Records);
            if (response.NextPageToken.Length == 0)
            {
                break;
            }

            page.PageToken = response.NextPageToken;
        }

        Assert.Equal(responses.Select(r => r.Certificate.Serial).Order(), recorded.Select(r => r.Serial).Order());
        Assert.All(recorded, r => Assert.Equal("issued", r.Outcome));
    }

    [Fact]
    public async Task HealthFollowsTheCaKeysAndReflectionListsTheService()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var channel = daemon.SocketChannel();
        var health = new Grpc.Health.V1.Health.HealthClient(channel);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

        // Break the token's sessions from outside: the next signature fails, the backend rebuilds
        // its sessions (at once, in the background: health may not even see NOT_SERVING; a device
        // that stays away is AttackRegressionTests' token-away case), and the next request signs.
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var client = daemon.TlsClient(laptop);
        var key = SshPublicKey.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256.pub"))).ToOpenSshLine();
        hsm.FindSlot(daemon.Token).CloseAllSessions();
        var failed = await Assert.ThrowsAsync<RpcException>(async () => await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key }));
        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
        var recovered = await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key });
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

        // The failed attempt is recorded as failed, the recovered one as issued.
        var records = (await daemon.SocketClient().ListCertificatesAsync(new ListCertificatesRequest())).Records;
        Assert.Equal(["issued", "failed"], records.Select(r => r.Outcome));
        Assert.Equal(recovered.Certificate.Serial, records[0].Serial);
        Assert.Contains("DeviceUnavailable", records[1].Failure, StringComparison.Ordinal);

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("sshhsmca.v1.CertificateAuthorityService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

}
