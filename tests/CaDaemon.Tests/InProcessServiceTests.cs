using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SshHsmCa.CaDaemon.Tests.Support;
using SshHsmCa.Hsm;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using static SshHsmCa.CaDaemon.Tests.Support.InProcessDaemon;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// The real gRPC services, interceptors, pipeline and SQLite store hosted in process
/// (TestServer), with software CA keys and a fake clock: each RPC's happy path and its error
/// mapping, the pipeline's order (nothing signed or recorded before policy allows), bootstrap
/// tokens and renewal by proof of possession across a month of fake time.
/// </summary>
public sealed class InProcessServiceTests : IAsyncLifetime
{
    private InProcessDaemon _ca = null!;

    public async Task InitializeAsync() => _ca = await StartAsync();

    public async Task DisposeAsync() => await _ca.DisposeAsync();

    private static string SubjectKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return EcdsaPublicKey.FromParameters(key.ExportParameters(false)).ToOpenSshLine("subject");
    }

    private async Task<List<AuditRecord>> AuditAsync() =>
        [.. (await _ca.Client.ListCertificatesAsync(new ListCertificatesRequest(), As(Auditor))).Records];

    private static string Reason(RpcException e) => e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason;

    [Fact]
    public async Task AUserCertificateIsSignedByTheUserKeyForWhatPolicyGrantsAndRecorded()
    {
        var now = (ulong)_ca.Time.GetUtcNow().ToUnixTimeSeconds();
        var issued = (await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = SubjectKey(), RequestId = "req-1" }, As(Alice))).Certificate;
        var certificate = SshCertificate.ParseLine(issued.Certificate);
        Assert.Equal(_ca.UserKey.PublicKey, certificate.SignatureKey);
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());
        Assert.Equal(SshCertificateType.User, certificate.Type);
        Assert.Equal(["alice"], certificate.Principals);
        Assert.Equal((now - 60, now + 3600), (certificate.ValidAfter, certificate.ValidBefore));
        var record = Assert.Single(await AuditAsync());
        Assert.Equal((issued.Serial, "issued", "user", "mtls", "req-1", issued.Certificate), (record.Serial, record.Outcome, record.Type, record.AuthMethod, record.RequestId, record.Certificate));
        Assert.Equal(record.Serial, (await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = issued.Serial }, As(Auditor))).Record.Serial);
    }

    [Fact]
    public async Task NoCredentialIsUnauthenticatedAndChangesNothing()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = SubjectKey() }, As(null)));
        Assert.Equal((StatusCode.Unauthenticated, "NO_CREDENTIAL"), (e.StatusCode, Reason(e)));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = SubjectKey() }, As(null, "Bootstrap shcbt_0000000000000000_" + new string('a', 43))));
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        Assert.Equal(0, _ca.UserKey.Signatures + _ca.HostKey.Signatures);
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task AMalformedRequestNamesEveryFieldAndSignsNothing()
    {
        var request = new SignUserCertificateRequest { PublicKey = "ssh-ed25519 AAAA-not-base64", ValiditySeconds = 400UL * 86400 * 365, RequestId = "bad\u0001id" };
        request.Principals.Add(string.Empty);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.SignUserCertificateAsync(request, As(Alice)));
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (e.StatusCode, Reason(e)));
        var fields = e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["public_key", "principals", "validity_seconds", "request_id"], fields);
        Assert.Equal(0, _ca.UserKey.Signatures);
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task APolicyDenialCarriesEveryReasonAndSignsOrRecordsNothing()
    {
        var request = new SignUserCertificateRequest { PublicKey = SubjectKey(), ValiditySeconds = 24 * 3600 };
        request.Principals.Add("root");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.SignUserCertificateAsync(request, As(Alice)));
        Assert.Equal((StatusCode.PermissionDenied, "POLICY_DENIED"), (e.StatusCode, Reason(e)));
        var subjects = e.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>().Violations.Select(v => v.Subject).ToList();
        Assert.Contains("principals", subjects);
        Assert.Contains("validity_seconds", subjects);
        Assert.Equal(0, _ca.UserKey.Signatures);
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task OperatorRpcsNeedTheirRightWhoeverCalls()
    {
        foreach (var who in new[] { Alice, Auditor })
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "web1.example.test" } }, As(who)));
            Assert.Equal((StatusCode.PermissionDenied, "OPERATOR_RIGHT_MISSING"), (e.StatusCode, Reason(e)));
        }

        var audit = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ListCertificatesAsync(new ListCertificatesRequest(), As(Alice)));
        Assert.Equal(StatusCode.PermissionDenied, audit.StatusCode);
        var batch = await Assert.ThrowsAsync<RpcException>(async () => await DrainAsync(_ca.Client.SignHostCertificateBatch(new SignHostCertificateBatchRequest { Hosts = { new SignHostCertificateRequest { PublicKey = SubjectKey(), Principals = { "web1.example.test" } } } }, As(Auditor))));
        Assert.Equal(StatusCode.PermissionDenied, batch.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = 12345 }, As(Auditor)));
        Assert.Equal((StatusCode.NotFound, "CERTIFICATE_NOT_FOUND"), (missing.StatusCode, Reason(missing)));
    }

    [Theory]
    [InlineData(HsmErrorKind.TouchTimeout, StatusCode.DeadlineExceeded, "CA_KEY_TIMEOUT")]
    [InlineData(HsmErrorKind.Timeout, StatusCode.DeadlineExceeded, "CA_KEY_TIMEOUT")]
    [InlineData(HsmErrorKind.TokenNotFound, StatusCode.Unavailable, "CA_KEY_UNAVAILABLE")]
    [InlineData(HsmErrorKind.DeviceUnavailable, StatusCode.Unavailable, "CA_KEY_UNAVAILABLE")]
    [InlineData(HsmErrorKind.PinLocked, StatusCode.Unavailable, "CA_KEY_UNAVAILABLE")]
    public async Task ADeviceFailureMapsTheSameForOneCertificateAndInABatchAndIsRecordedAsFailed(HsmErrorKind kind, StatusCode code, string reason)
    {
        _ca.UserKey.FailWith = kind;
        _ca.HostKey.FailWith = kind;
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = SubjectKey() }, As(Alice)));
        Assert.Equal((code, reason, kind.ToString()), (e.StatusCode, Reason(e), e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["kind"]));

        var results = await DrainAsync(_ca.Client.SignHostCertificateBatch(new SignHostCertificateBatchRequest { Hosts = { new SignHostCertificateRequest { PublicKey = SubjectKey(), Principals = { "web1.example.test" } } } }, As(Operator)));
        var error = Assert.Single(results, r => r.Result is not null).Result.Error;
        Assert.Equal((StatusTableName(code), reason), (error.Code, error.Reason));
        Assert.Equal(1u, results.Single(r => r.Summary is not null).Summary.Failed);

        var records = await AuditAsync();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal("failed", r.Outcome));
        Assert.All(records, r => Assert.Empty(r.Certificate));
    }

    [Fact]
    public async Task ABatchReportsRefusalsFirstThenSignsTheRestOnce()
    {
        var request = new SignHostCertificateBatchRequest
        {
            Hosts =
            {
                new SignHostCertificateRequest { PublicKey = SubjectKey(), Principals = { "web1.example.test" } },
                new SignHostCertificateRequest { PublicKey = "not a key", Principals = { "web2.example.test" } },
                new SignHostCertificateRequest { PublicKey = SubjectKey(), Principals = { "db.other.test" } },
            },
        };
        var results = await DrainAsync(_ca.Client.SignHostCertificateBatch(request, As(Operator)));
        var entries = results.Where(r => r.Result is not null).Select(r => r.Result).ToList();
        Assert.Equal([1u, 2u, 0u], entries.Select(r => r.Index));
        Assert.Equal(("INVALID_ARGUMENT", "public_key"), (entries[0].Error.Code, entries[0].Error.FieldViolations.Single().Field));
        Assert.Equal(("PERMISSION_DENIED", "POLICY_DENIED"), (entries[1].Error.Code, entries[1].Error.Reason));
        Assert.Equal(_ca.HostKey.PublicKey, SshCertificate.ParseLine(entries[2].Certificate.Certificate).SignatureKey);
        var summary = results.Single(r => r.Summary is not null).Summary;
        Assert.Equal((1u, 1u, 1u, 0u), (summary.Issued, summary.Invalid, summary.Denied, summary.Failed));
        Assert.Equal(1, _ca.HostKey.Signatures);
    }

    [Fact]
    public async Task TouchPromptsTakeOneRouteToTheBatchStreamAndTheMetric()
    {
        _ca.HostKey.PromptTouch = true;
        var request = new SignHostCertificateBatchRequest();
        foreach (var name in new[] { "web1.example.test", "web2.example.test" })
        {
            request.Hosts.Add(new SignHostCertificateRequest { PublicKey = SubjectKey(), Principals = { name } });
        }

        var results = await DrainAsync(_ca.Client.SignHostCertificateBatch(request, As(Operator)));
        Assert.Equal([0u, 1u], results.Where(r => r.TouchPrompt is not null).Select(r => r.TouchPrompt.Index));
        Assert.Equal(2u, results.Single(r => r.Summary is not null).Summary.TouchPrompts);
        var metrics = (CaDaemon.Issuing.CaMetrics)_ca.Services.GetService(typeof(CaDaemon.Issuing.CaMetrics))!;
        Assert.Equal(2, metrics.TouchPrompts.WithLabels("host").Value);
    }

    [Fact]
    public async Task AHostBootstrapsOnceWithItsTokenThenRenewsByProofUntilItsCertificateExpires()
    {
        var token = await _ca.Client.CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "web1.example.test" } }, As(Operator));
        await using var hostKey = new SoftwareCaKey("web1 host key");
        var bootstrap = new BootstrapHostRequest { PublicKeys = { hostKey.PublicKey.ToOpenSshLine() }, Principals = { "web1.example.test" } };
        var first = await _ca.Client.BootstrapHostAsync(bootstrap, As(null, "Bootstrap " + token.Token));
        Assert.Equal(_ca.UserKey.PublicKey.ToOpenSshLine("ssh-hsm-ca user CA"), first.UserCaPublicKey);
        var again = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.BootstrapHostAsync(bootstrap, As(null, "Bootstrap " + token.Token)));
        Assert.Equal((StatusCode.Unauthenticated, "BOOTSTRAP_TOKEN_REFUSED"), (again.StatusCode, Reason(again)));

        var currentIssued = first.Certificates.Single();
        var current = currentIssued.Certificate;
        _ca.Time.Advance(TimeSpan.FromDays(20));
        var challenge = await _ca.Client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = current });

        // A proof by another key is refused and does not use the challenge up.
        await using var stranger = new SoftwareCaKey("stranger");
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = stranger.SignSshSig(challenge.Namespace, challenge.Message.Span) }));
        Assert.Equal((StatusCode.Unauthenticated, "RENEWAL_REFUSED"), (wrong.StatusCode, Reason(wrong)));

        var proof = hostKey.SignSshSig(challenge.Namespace, challenge.Message.Span);
        var renewed = (await _ca.Client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = proof })).Certificate;
        var next = SshCertificate.ParseLine(renewed.Certificate);
        Assert.Equal((hostKey.PublicKey, SshCertificateType.Host), (next.PublicKey, next.Type));
        Assert.Equal(["web1.example.test"], next.Principals);
        Assert.NotEqual(currentIssued.Serial, renewed.Serial);
        Assert.Equal((ulong)_ca.Time.GetUtcNow().ToUnixTimeSeconds() + (720 * 3600), next.ValidBefore);

        var replay = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = proof }));
        Assert.Equal("RENEWAL_REFUSED", Reason(replay));

        // Eleven more days: the first certificate has expired and cannot start a renewal.
        _ca.Time.Advance(TimeSpan.FromDays(11));
        var expired = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = current }));
        Assert.Equal((StatusCode.Unauthenticated, "RENEWAL_REFUSED"), (expired.StatusCode, Reason(expired)));
        Assert.Contains("expired", expired.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["issued", "issued"], (await AuditAsync()).Select(r => r.Outcome));
    }

    [Fact]
    public async Task ExplainAndPublicKeysComeFromTheSamePolicyAndKeys()
    {
        var keys = await _ca.Client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = "*.example.test" });
        Assert.Equal(_ca.HostKey.PublicKey, SshPublicKey.ParseLine(keys.HostCaPublicKey));
        Assert.StartsWith("@cert-authority *.example.test ", keys.KnownHostsLine, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = "a b" }));
        Assert.Equal("known_hosts_pattern", bad.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);

        var explained = await _ca.Client.ExplainPolicyAsync(new ExplainPolicyRequest { User = new SignUserCertificateRequest { PublicKey = SubjectKey() } }, As(Alice));
        Assert.True(explained.Allowed);
        Assert.Equal(["alice"], explained.Principals);
        Assert.Equal(0, _ca.UserKey.Signatures);
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task TheCeremonyAndTheAuditPagesMapTheirRefusals()
    {
        var ceremony = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.GeneratePivKeyAsync(new GeneratePivKeyRequest { Uri = "piv:slot=9c" }, As(Operator)));
        Assert.Equal((StatusCode.PermissionDenied, "OPERATOR_RIGHT_MISSING"), (ceremony.StatusCode, Reason(ceremony)));

        await using var ceremonial = await StartAsync(DefaultPolicy.Replace("\"operator\": [\"tokens\", \"audit\", \"batch\", \"revoke\", \"rotate\"]", "\"operator\": [\"tokens\", \"audit\", \"batch\", \"ceremony\"]", StringComparison.Ordinal));
        var uri = await Assert.ThrowsAsync<RpcException>(async () => await ceremonial.Client.GeneratePivKeyAsync(new GeneratePivKeyRequest { Uri = "pkcs11:token=x", Algorithm = "p256" }, As(Operator)));
        Assert.Equal(("uri", StatusCode.InvalidArgument), (uri.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field, uri.StatusCode));
        var algorithm = await Assert.ThrowsAsync<RpcException>(async () => await ceremonial.Client.GeneratePivKeyAsync(new GeneratePivKeyRequest { Uri = "piv:slot=9d", Algorithm = "dsa" }, As(Operator)));
        Assert.Equal("algorithm", algorithm.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);
        var unconfigured = await Assert.ThrowsAsync<RpcException>(async () => await ceremonial.Client.GeneratePivKeyAsync(new GeneratePivKeyRequest { Uri = "piv:slot=9d" }, As(Operator)));
        Assert.Equal((StatusCode.FailedPrecondition, "CEREMONY_FAILED"), (unconfigured.StatusCode, Reason(unconfigured)));
        Assert.Contains("management key", unconfigured.Status.Detail, StringComparison.Ordinal);

        var page = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 501 }, As(Auditor)));
        Assert.Equal("page_size", page.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);
        var token = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ListCertificatesAsync(new ListCertificatesRequest { PageToken = "x" }, As(Auditor)));
        Assert.Equal("page_token", token.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);
        Assert.Empty((await _ca.Client.GetLoginSettingsAsync(new GetLoginSettingsRequest())).Issuer);
    }

    [Fact]
    public async Task ACallersMinimumLogLevelHoldsForEveryProvider()
    {
        // The load benchmark asks for Warning; "issued serial" lines (Information) must not be written.
        await using var quiet = await StartAsync(logging: l => l.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
        var loggers = (Microsoft.Extensions.Logging.ILoggerFactory)quiet.Services.GetService(typeof(Microsoft.Extensions.Logging.ILoggerFactory))!;
        var pipeline = loggers.CreateLogger("SshHsmCa.CaDaemon.Issuing.IssuingPipeline");
        Assert.False(pipeline.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information));
        Assert.True(pipeline.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning));
        var defaults = (Microsoft.Extensions.Logging.ILoggerFactory)_ca.Services.GetService(typeof(Microsoft.Extensions.Logging.ILoggerFactory))!;
        Assert.True(defaults.CreateLogger("SshHsmCa.CaDaemon.Issuing.IssuingPipeline").IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information));
    }

    private static string StatusTableName(StatusCode code) => code == StatusCode.DeadlineExceeded ? "DEADLINE_EXCEEDED" : "UNAVAILABLE";

    private static async Task<List<SignHostCertificateBatchResponse>> DrainAsync(AsyncServerStreamingCall<SignHostCertificateBatchResponse> call)
    {
        using (call)
        {
            var all = new List<SignHostCertificateBatchResponse>();
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                all.Add(message);
            }

            return all;
        }
    }
}
