using System.Security.Cryptography;
using Grpc.Core;
using SshHsmCa.CaDaemon.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;
using static SshHsmCa.CaDaemon.Tests.Support.InProcessDaemon;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// Revoke, ListRevocations and GetKrl through the real services in process: authorization,
/// resolution through the audit log (principal, caller, key id, since), dry runs that write
/// nothing, the KRL's verdicts, one hardware signature per KRL version, and every refusal.
/// </summary>
public sealed class RevocationServiceTests : IAsyncLifetime
{
    private InProcessDaemon _ca = null!;

    public async Task InitializeAsync() => _ca = await StartAsync();

    public async Task DisposeAsync() => await _ca.DisposeAsync();

    private static EcdsaPublicKey NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return EcdsaPublicKey.FromParameters(key.ExportParameters(false));
    }

    private async Task<SshCertificate> UserAsync(SshPublicKey? key = null) =>
        SshCertificate.ParseLine((await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = (key ?? NewKey()).ToOpenSshLine() }, As(Alice))).Certificate.Certificate);

    private async Task<SshCertificate> HostAsync(string name = "web1.example.test")
    {
        var results = new List<SignHostCertificateBatchResponse>();
        using var call = _ca.Client.SignHostCertificateBatch(new SignHostCertificateBatchRequest { Hosts = { new SignHostCertificateRequest { PublicKey = NewKey().ToOpenSshLine(), Principals = { name } } } }, As(Operator));
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            results.Add(message);
        }

        return SshCertificate.ParseLine(results.Single(r => r.Result is not null).Result.Certificate.Certificate);
    }

    private async Task<(SshKrl Krl, GetKrlResponse Response)> KrlAsync()
    {
        var response = await _ca.Client.GetKrlAsync(new GetKrlRequest());
        return (SshKrl.Parse(response.Krl.ToByteArray()), response);
    }

    private static string Reason(RpcException e) => e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason;

    [Fact]
    public async Task RevokingEverythingIssuedToAPrincipalResolvesThroughTheAuditLogAndReachesTheSignedKrl()
    {
        var first = await UserAsync();
        var second = await UserAsync();
        var host = await HostAsync();
        var (empty, before) = await KrlAsync();
        Assert.Equal(0UL, before.Version);
        Assert.False(empty.IsRevoked(first));

        var dry = await _ca.Client.RevokeAsync(new RevokeRequest { Principal = "alice", Reason = "laptop stolen", DryRun = true }, As(Operator));
        Assert.Equal(0UL, dry.RevocationId);
        Assert.Equal([first.Serial, second.Serial], dry.Certificates.Select(c => c.Serial));
        Assert.Equal(0UL, (await KrlAsync()).Response.Version);
        Assert.Empty((await _ca.Client.ListRevocationsAsync(new ListRevocationsRequest(), As(Auditor))).Revocations);

        var revoked = await _ca.Client.RevokeAsync(new RevokeRequest { Principal = "alice", Reason = "laptop stolen" }, As(Operator));
        Assert.NotEqual(0UL, revoked.RevocationId);
        Assert.Equal(1UL, revoked.KrlVersion);
        Assert.All(revoked.Items, i => Assert.Equal(("serial", "user"), (i.Kind, i.Ca)));

        var signaturesBefore = _ca.UserKey.Signatures;
        var (krl, response) = await KrlAsync();
        Assert.Equal((1UL, KrlPublisherNamespace), (response.Version, response.Namespace));
        Assert.True(krl.IsRevoked(first));
        Assert.True(krl.IsRevoked(second));
        Assert.False(krl.IsRevoked(host));
        Assert.True(SshSig.ParseArmored(response.Signature).Verifies(_ca.UserKey.PublicKey, "krl@ssh-hsm-ca", response.Krl.Span));
        Assert.Equal(_ca.UserKey.PublicKey, SshPublicKey.ParseLine(response.SignerPublicKey));

        // The same version again: the same bytes and signature, no second hardware signature.
        var again = (await KrlAsync()).Response;
        Assert.Equal((response.Krl, response.Signature), (again.Krl, again.Signature));
        Assert.Equal(signaturesBefore + 1, _ca.UserKey.Signatures);

        var listed = Assert.Single((await _ca.Client.ListRevocationsAsync(new ListRevocationsRequest(), As(Auditor))).Revocations);
        Assert.Equal(("operator", "laptop stolen", "every certificate with principal 'alice'", 1UL), (listed.Caller, listed.Reason, listed.Selector, listed.KrlVersion));
        var record = (await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = first.Serial }, As(Auditor))).Record;
        Assert.Equal(revoked.RevocationId, record.Revocation.Id);
        Assert.Null((await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = host.Serial }, As(Auditor))).Record.Revocation);
    }

    private const string KrlPublisherNamespace = "krl@ssh-hsm-ca";

    [Fact]
    public async Task SinceNarrowsACallerSelectorAndSerialsKnowTheirCa()
    {
        var old = await UserAsync();
        _ca.Time.Advance(TimeSpan.FromDays(1));
        var recent = await UserAsync();
        var host = await HostAsync();
        var since = (ulong)_ca.Time.GetUtcNow().AddHours(-1).ToUnixTimeSeconds();
        var revoked = await _ca.Client.RevokeAsync(new RevokeRequest { Caller = "alice-laptop-1", IssuedSince = since, Reason = "key copied" }, As(Operator));
        Assert.Equal([recent.Serial], revoked.Certificates.Select(c => c.Serial));

        // A host certificate's serial is revoked for the host CA only, as the audit log says.
        var byHostSerial = await _ca.Client.RevokeAsync(new RevokeRequest { Serials = { host.Serial }, Reason = "decommissioned" }, As(Operator));
        Assert.Equal(("serial", "host"), (byHostSerial.Items.Single().Kind, byHostSerial.Items.Single().Ca));
        var (krl, response) = await KrlAsync();
        Assert.Equal(2UL, response.Version);
        Assert.False(krl.IsRevoked(old));
        Assert.True(krl.IsRevoked(recent));
        Assert.True(krl.IsRevoked(host));
    }

    [Fact]
    public async Task AKeyOrACaKeyRevokesEveryCertificateOfIt()
    {
        var key = NewKey();
        var certificate = await UserAsync(key);
        var later = await UserAsync(key);
        var other = await UserAsync();
        await _ca.Client.RevokeAsync(new RevokeRequest { PublicKey = certificate.ToOpenSshLine(), Reason = "key on a stolen disk" }, As(Operator));
        var (krl, _) = await KrlAsync();
        Assert.True(krl.IsRevoked(certificate));
        Assert.True(krl.IsRevoked(later));
        Assert.False(krl.IsRevoked(other));
        Assert.Equal(key.Blob.ToArray(), Assert.Single(krl.ExplicitKeys));

        var host = await HostAsync();
        await _ca.Client.RevokeAsync(new RevokeRequest { CaPublicKey = _ca.HostKey.PublicKey.ToOpenSshLine(), Reason = "host CA key leaked" }, As(Operator));
        await _ca.Client.RevokeAsync(new RevokeRequest { KeyFingerprint = other.PublicKey.GetSha256Fingerprint(), Reason = "by fingerprint" }, As(Operator));
        (krl, var response) = await KrlAsync();
        Assert.Equal(3UL, response.Version);
        Assert.True(krl.IsRevoked(host));
        Assert.True(krl.IsRevoked(other));
        var record = (await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = host.Serial }, As(Auditor))).Record;
        Assert.Equal("host CA key leaked", record.Revocation.Reason);
    }

    /// <summary>Issue 27: a page of ListCertificates says which certificates are revoked, from one query for the page.</summary>
    [Fact]
    public async Task ListCertificatesMarksEachRevokedCertificateOfThePage()
    {
        var bySerial = await UserAsync();
        var sharedKey = NewKey();
        var byKeyFirst = await UserAsync(sharedKey);
        var byKeySecond = await UserAsync(sharedKey);
        var untouched = await UserAsync();
        await _ca.Client.RevokeAsync(new RevokeRequest { Serials = { bySerial.Serial }, Scope = CaScope.User, Reason = "by serial" }, As(Operator));
        await _ca.Client.RevokeAsync(new RevokeRequest { PublicKey = sharedKey.ToOpenSshLine(), Reason = "by key" }, As(Operator));

        var page = (await _ca.Client.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 50 }, As(Auditor))).Records.ToDictionary(r => r.Serial);
        Assert.Equal("by serial", page[bySerial.Serial].Revocation.Reason);
        Assert.Equal("by key", page[byKeyFirst.Serial].Revocation.Reason);
        Assert.Equal("by key", page[byKeySecond.Serial].Revocation.Reason);
        Assert.Null(page[untouched.Serial].Revocation);

        // The same answers as GetCertificate's, one certificate at a time.
        foreach (var serial in new[] { bySerial.Serial, byKeyFirst.Serial, untouched.Serial })
        {
            Assert.Equal(page[serial].Revocation, (await _ca.Client.GetCertificateAsync(new GetCertificateRequest { Serial = serial }, As(Auditor))).Record.Revocation);
        }
    }

    [Fact]
    public async Task RevokedCertificatesThatExpiredLeaveTheKrlInANewVersion()
    {
        var shortLived = await UserAsync();
        var host = await HostAsync();
        await _ca.Client.RevokeAsync(new RevokeRequest { Serials = { shortLived.Serial, host.Serial }, Reason = "both" }, As(Operator));
        var prune = (CaDaemon.Revocation.KrlPruneService)_ca.Services.GetService(typeof(CaDaemon.Revocation.KrlPruneService))!;
        Assert.Null(await prune.PruneOnceAsync(CancellationToken.None));
        var (before, response) = await KrlAsync();
        Assert.Equal(1UL, response.Version);
        Assert.True(before.IsRevoked(shortLived));

        // The user certificate (1 h) expires; a day later it leaves the KRL; the host's (30 days)
        // stays. (The hosted service's hourly pass may take the step while the clock advances:
        // either pass makes version 2, and the next finds nothing to do.)
        _ca.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        _ = await prune.PruneOnceAsync(CancellationToken.None);
        Assert.Null(await prune.PruneOnceAsync(CancellationToken.None));
        var (after, pruned) = await KrlAsync();
        Assert.Equal(2UL, pruned.Version);
        Assert.False(after.IsRevoked(shortLived));
        Assert.True(after.IsRevoked(host));
        Assert.True(pruned.Krl.Length < response.Krl.Length);
    }

    [Fact]
    public async Task RefusalsNameTheFieldAndWriteNothing()
    {
        await UserAsync();
        async Task<RpcException> Refused(RevokeRequest request, System.Security.Cryptography.X509Certificates.X509Certificate2 who) =>
            await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.RevokeAsync(request, As(who)));
        string Field(RpcException e) => e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.First().Field;

        Assert.Equal("OPERATOR_RIGHT_MISSING", Reason(await Refused(new RevokeRequest { Principal = "alice", Reason = "x" }, Auditor)));
        Assert.Equal("OPERATOR_RIGHT_MISSING", Reason(await Refused(new RevokeRequest { Principal = "alice", Reason = "x" }, Alice)));
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.RevokeAsync(new RevokeRequest { Principal = "alice", Reason = "x" }, As(null)))).StatusCode);
        Assert.Equal("serials", Field(await Refused(new RevokeRequest { Reason = "x" }, Operator)));
        Assert.Equal("serials", Field(await Refused(new RevokeRequest { Principal = "alice", KeyId = "k", Reason = "x" }, Operator)));
        Assert.Equal("serials", Field(await Refused(new RevokeRequest { Serials = { 0 }, Reason = "x" }, Operator)));
        Assert.Equal("reason", Field(await Refused(new RevokeRequest { Principal = "alice" }, Operator)));
        Assert.Equal("issued_since", Field(await Refused(new RevokeRequest { Serials = { 5 }, IssuedSince = 1, Reason = "x" }, Operator)));
        Assert.Equal("public_key", Field(await Refused(new RevokeRequest { PublicKey = "ssh-ed25519 AAAA", Reason = "x" }, Operator)));
        Assert.Equal("key_fingerprint", Field(await Refused(new RevokeRequest { KeyFingerprint = "MD5:00", Reason = "x" }, Operator)));
        Assert.Equal("scope", Field(await Refused(new RevokeRequest { Principal = "alice", Scope = (CaScope)7, Reason = "x" }, Operator)));
        var nothing = await Refused(new RevokeRequest { Principal = "mallory", Reason = "x" }, Operator);
        Assert.Equal((StatusCode.FailedPrecondition, "NOTHING_TO_REVOKE"), (nothing.StatusCode, Reason(nothing)));
        var wrongCa = await Refused(new RevokeRequest { Principal = "alice", Scope = CaScope.Host, Reason = "x" }, Operator);
        Assert.Equal("NOTHING_TO_REVOKE", Reason(wrongCa));

        Assert.Empty((await _ca.Client.ListRevocationsAsync(new ListRevocationsRequest(), As(Auditor))).Revocations);
        Assert.Equal(0UL, (await KrlAsync()).Response.Version);
    }
}
