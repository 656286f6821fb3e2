using Google.Rpc;
using Grpc.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 20: what the contract (ca.proto) says is what the daemon does, for a client that sets
/// only what it needs, as a client in another language would.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class ContractTests(SoftHsm hsm)
{
    [Fact]
    public async Task AClientThatSetsNoOptionalFieldGetsThePolicysDefaultExtensions()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var client = daemon.TlsClient(laptop);

        var plain = SshCertificate.ParseLine((await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() })).Certificate.Certificate);
        Assert.Equal(["permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc"], plain.Extensions.Select(e => e.Name));

        var exact = new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line(), ExactExtensions = true };
        exact.Extensions.Add(new CertificateOption { Name = "permit-pty" });
        Assert.Equal(["permit-pty"], SshCertificate.ParseLine((await client.SignUserCertificateAsync(exact)).Certificate.Certificate).Extensions.Select(e => e.Name));
        var none = SshCertificate.ParseLine((await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line(), ExactExtensions = true })).Certificate.Certificate);
        Assert.Empty(none.Extensions);

        // Extensions listed without exact_extensions would be silently ignored: refused, naming the field.
        var ambiguous = new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() };
        ambiguous.Extensions.Add(new CertificateOption { Name = "permit-pty" });
        var e = await Assert.ThrowsAsync<RpcException>(() => client.SignUserCertificateAsync(ambiguous).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("extensions", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task PagesEndWithAnEmptyTokenAndOversizedPagesAreRefused()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var socket = daemon.SocketClient();
        for (var i = 0; i < 3; i++)
        {
            await socket.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() });
        }

        var full = await socket.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 3 });
        Assert.Equal(3, full.Records.Count);
        Assert.Empty(full.NextPageToken);

        var first = await socket.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 2 });
        Assert.Equal(2, first.Records.Count);
        Assert.NotEmpty(first.NextPageToken);
        var second = await socket.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 2, PageToken = first.NextPageToken });
        Assert.Single(second.Records);
        Assert.Empty(second.NextPageToken);

        var e = await Assert.ThrowsAsync<RpcException>(() => socket.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 501 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("page_size", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task ExplainPolicySaysEverythingTheCertificateWouldCarryAndHealthKnowsTheServiceByName()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var explained = await daemon.TlsClient(laptop).ExplainPolicyAsync(new ExplainPolicyRequest { User = new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() } });
        Assert.True(explained.Allowed);
        Assert.Contains(explained.Extensions, x => x.Name == "permit-pty");
        Assert.Empty(explained.CriticalOptions);
        Assert.Contains("alice-laptop", explained.KeyId, StringComparison.Ordinal);

        var health = new Grpc.Health.V1.Health.HealthClient(daemon.SocketChannel());
        foreach (var service in new[] { string.Empty, CertificateAuthorityService.Descriptor.FullName })
        {
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = service })).Status);
        }
    }

    [Fact]
    public async Task EveryErrorCarriesAnErrorInfoWithItsDocumentedReason()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o => o.Tls!.RequireClientCertificate = false);
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        var anonymous = daemon.TlsClient(null);
        var mtls = daemon.TlsClient(laptop);
        var socket = daemon.SocketClient();
        var user = new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line() };

        async Task<RpcException> Expect(Func<Task> call, StatusCode code, string reason)
        {
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(code, e.StatusCode);
            var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
            Assert.True(info is not null, $"no ErrorInfo in {e.Status}");
            Assert.Equal(("sshhsmca.v1", reason), (info.Domain, info.Reason));
            Assert.DoesNotContain("MutualTls", e.Status.Detail, StringComparison.Ordinal);
            return e;
        }

        await Expect(() => anonymous.SignUserCertificateAsync(user).ResponseAsync, StatusCode.Unauthenticated, "NO_CREDENTIAL");
        await Expect(() => anonymous.SignUserCertificateAsync(user, new Metadata { { "authorization", "Bearer x.y.z" } }).ResponseAsync, StatusCode.Unauthenticated, "SSO_NOT_CONFIGURED");
        await Expect(() => anonymous.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line() }, new Metadata { { "authorization", "Bootstrap nonsense" } }).ResponseAsync, StatusCode.Unauthenticated, "MALFORMED_CREDENTIAL");
        await Expect(() => socket.GetCertificateAsync(new GetCertificateRequest { Serial = 999 }).ResponseAsync, StatusCode.NotFound, "CERTIFICATE_NOT_FOUND");
        var right = await Expect(() => mtls.ListCertificatesAsync(new ListCertificatesRequest()).ResponseAsync, StatusCode.PermissionDenied, "OPERATOR_RIGHT_MISSING");
        Assert.Equal("permission-not-granted", Assert.Single(right.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations).Type);
        var page = await Expect(() => socket.ListCertificatesAsync(new ListCertificatesRequest { PageToken = "not-a-token" }).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");
        Assert.Equal("page_token", Assert.Single(page.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        var denied = await Expect(() => mtls.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = TestKeys.Ed25519Line(), ValiditySeconds = 30 * 86400 }).ResponseAsync, StatusCode.PermissionDenied, "POLICY_DENIED");
        Assert.Contains(denied.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations, v => v.Subject == "validity_seconds");
    }

    [Fact]
    public async Task EachHostOfABatchSaysWhyWithItsIndexReasonAndFields()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        var request = new SignHostCertificateBatchRequest
        {
            Hosts =
            {
                new SignHostCertificateRequest { PublicKey = "ssh-ed25519 AAAA", Principals = { SshdServer.HostAlias } },
                new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { "not-granted.example" } },
                new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line(), Principals = { SshdServer.HostAlias } },
            },
        };
        using var call = daemon.SocketClient().SignHostCertificateBatch(request);
        var results = new Dictionary<uint, BatchHostResult>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (call.ResponseStream.Current.Result is { } result)
            {
                results[result.Index] = result;
            }
        }

        Assert.Equal(("INVALID_ARGUMENT", "INVALID_REQUEST"), (results[0].Error.Code, results[0].Error.Reason));
        Assert.Equal("public_key", Assert.Single(results[0].Error.FieldViolations).Field);
        Assert.Equal(("PERMISSION_DENIED", "POLICY_DENIED"), (results[1].Error.Code, results[1].Error.Reason));
        Assert.Contains(results[1].Error.Reasons, r => r.Code == "principal-not-allowed");
        Assert.NotNull(results[2].Certificate);
    }
}
