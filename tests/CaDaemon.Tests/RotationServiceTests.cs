using System.Security.Cryptography;
using Grpc.Core;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.CaDaemon.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Trust;
using static SshHsmCa.CaDaemon.Tests.Support.InProcessDaemon;
using ProtoCaKeyState = SshHsmCa.Protos.V1.CaKeyState;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// CA key sets and rotation through the real services in process (issue 17): the trust set and
/// its signature, reloads checked like a start (refused whole, nothing changed), the phases
/// next → active → retired → dropped with the fetch counts an operator decides on, renewal of a
/// host certificate of the retired key, the KRL's serial sections under every key in force, and
/// the emergency path (a key in the revoked state is in the KRL at once and out of the trust set).
/// </summary>
public sealed class RotationServiceTests : IAsyncLifetime
{
    private InProcessDaemon _ca = null!;

    public async Task InitializeAsync() => _ca = await StartAsync();

    public async Task DisposeAsync() => await _ca.DisposeAsync();

    private static string Reason(RpcException e) => e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason;

    private static EcdsaPublicKey NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return EcdsaPublicKey.FromParameters(key.ExportParameters(false));
    }

    private async Task<SshCertificate> UserAsync() =>
        SshCertificate.ParseLine((await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = NewKey().ToOpenSshLine() }, As(Alice))).Certificate.Certificate);

    /// <summary>Adds a software key as <paramref name="name"/> in <paramref name="state"/> to the user CA's set.</summary>
    private SoftwareCaKey AddUserKey(string name, string state)
    {
        var uri = $"pkcs11:token=in-process;object={name}";
        var key = new SoftwareCaKey(name);
        _ca.Devices[uri] = key;
        _ca.Options.UserCaKeys ??= [];
        _ca.Options.UserCaKeys[name] = new CaKeyOptions { Uri = uri, PinFile = _ca.Options.UserCa!.PinFile, State = state, ExpectedPublicKey = key.PublicKey.ToOpenSshLine() };
        return key;
    }

    private void SetState(string name, string state)
    {
        if (name == "userCa")
        {
            _ca.Options.UserCa!.State = state;
            return;
        }

        _ca.Options.UserCaKeys![name].State = state;
    }

    private async Task<(TrustSet Set, GetTrustSetResponse Response)> TrustAsync(GetTrustSetRequest? request = null, CallOptions options = default)
    {
        var response = await _ca.Client.GetTrustSetAsync(request ?? new GetTrustSetRequest(), options);
        return (TrustSet.Parse(response.TrustSet.Span), response);
    }

    /// <summary>A host with a certificate of the host CA, and its renewal proof for GetTrustSet.</summary>
    private async Task<(SoftwareCaKey Key, string Certificate)> HostAsync(string name)
    {
        var token = await _ca.Client.CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { name } }, As(Operator));
        var key = new SoftwareCaKey(name);
        _ca.Devices["host-key:" + name] = key; // disposed with the daemon
        var issued = await _ca.Client.BootstrapHostAsync(new BootstrapHostRequest { PublicKeys = { key.PublicKey.ToOpenSshLine() }, Principals = { name } }, As(null, "Bootstrap " + token.Token));
        return (key, issued.Certificates.Single().Certificate);
    }

    private async Task<GetTrustSetRequest> ProofAsync((SoftwareCaKey Key, string Certificate) host)
    {
        var challenge = await _ca.Client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = host.Certificate });
        return new GetTrustSetRequest { ChallengeId = challenge.ChallengeId, Signature = host.Key.SignSshSig(challenge.Namespace, challenge.Message.Span) };
    }

    [Fact]
    public async Task TheTrustSetIsSignedByTheActiveUserKeyAndListsBothCas()
    {
        var (set, response) = await TrustAsync();
        Assert.True(SshSig.ParseArmored(response.Signature).Verifies(_ca.UserKey.PublicKey, TrustSet.Namespace, response.TrustSet.Span));
        Assert.Equal(_ca.UserKey.PublicKey, SshPublicKey.ParseLine(response.SignerPublicKey));
        Assert.Equal(_ca.UserKey.PublicKey, set.Active(SshCertificateType.User));
        Assert.Equal(_ca.HostKey.PublicKey, set.Active(SshCertificateType.Host));
        Assert.Equal(response.Version, set.Version);

        // Signed once per version: a second fetch signs nothing.
        var signatures = _ca.UserKey.Signatures;
        Assert.Equal(response.Signature, (await TrustAsync()).Response.Signature);
        Assert.Equal(signatures, _ca.UserKey.Signatures);

        var keys = await _ca.Client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = "*.example.test" });
        Assert.Equal([ProtoCaKeyState.Active, ProtoCaKeyState.Active], keys.Keys.Select(k => k.State));
        Assert.Equal($"@cert-authority *.example.test {_ca.HostKey.PublicKey.ToOpenSshLine("ssh-hsm-ca host CA")}\n", keys.KnownHosts);
        Assert.Equal(_ca.UserKey.PublicKey.ToOpenSshLine("ssh-hsm-ca user CA") + "\n", keys.TrustedUserCaKeys);
    }

    [Fact]
    public async Task ARotationOfTheUserCaGoesNextActiveRetiredAndDroppedWithoutBreakingACertificate()
    {
        var old = await UserAsync();
        var web1 = await HostAsync("web1.example.test");
        var web2 = await HostAsync("web2.example.test");
        var before = (await TrustAsync()).Set.Version;

        // Phase 1: the new key is published as next; the old one still signs.
        var next = AddUserKey("user-2027", "next");
        var reloaded = await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));
        Assert.Equal(before + 1, reloaded.TrustSetVersion);
        var (set, _) = await TrustAsync();
        Assert.Equal([_ca.UserKey.PublicKey, next.PublicKey], set.Trusted(SshCertificateType.User));
        Assert.Equal(_ca.UserKey.PublicKey, (await UserAsync()).SignatureKey);

        // ca status: two hosts must fetch it; one has.
        await TrustAsync(await ProofAsync(web1));
        var status = await _ca.Client.GetCaStatusAsync(new GetCaStatusRequest(), As(Operator));
        var nextStatus = status.Keys.Single(k => k.Key.Name == "user-2027");
        Assert.Equal((ProtoCaKeyState.Next, 2UL, 1UL), (nextStatus.Key.State, nextStatus.PartiesKnown, nextStatus.PartiesFetched));
        Assert.Equal(["host:web2.example.test"], nextStatus.PartiesMissing);
        Assert.Equal(reloaded.TrustSetVersion, nextStatus.PublishedInVersion);
        var oldStatus = status.Keys.Single(k => k.Key.Name == "userCa");
        Assert.Equal(2UL, oldStatus.ValidCertificates);
        await TrustAsync(await ProofAsync(web2));
        Assert.Equal(2UL, (await _ca.Client.GetCaStatusAsync(new GetCaStatusRequest(), As(Operator))).Keys.Single(k => k.Key.Name == "user-2027").PartiesFetched);

        // Phase 2: the next key signs; the old one is retired and still trusted while its certificates live.
        SetState("user-2027", "active");
        SetState("userCa", "retired");
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));
        var fresh = await UserAsync();
        Assert.Equal(next.PublicKey, fresh.SignatureKey);
        (set, var response) = await TrustAsync();
        Assert.True(SshSig.ParseArmored(response.Signature).Verifies(next.PublicKey, TrustSet.Namespace, response.TrustSet.Span));
        Assert.Equal(SshHsmCa.Ssh.Trust.CaKeyState.Retired, set.Keys.Single(k => k.PublicKey.Equals(_ca.UserKey.PublicKey)).State);

        // A revoked serial of the retired key's certificate is in the KRL under both keys.
        await _ca.Client.RevokeAsync(new RevokeRequest { Serials = { old.Serial }, Scope = CaScope.User, Reason = "laptop lost" }, As(Operator));
        var krl = SshKrl.Parse((await _ca.Client.GetKrlAsync(new GetKrlRequest())).Krl.Memory);
        Assert.True(krl.IsRevoked(old));
        Assert.False(krl.IsRevoked(fresh));

        // Once the retired key's last certificate expired (8 h at most here), it leaves the trust set.
        _ca.Time.Advance(TimeSpan.FromHours(9));
        await _ca.Client.GetCaStatusAsync(new GetCaStatusRequest(), As(Operator));
        (set, _) = await TrustAsync();
        Assert.Equal([next.PublicKey], set.Trusted(SshCertificateType.User));
        Assert.DoesNotContain(set.Keys, k => k.PublicKey.Equals(_ca.UserKey.PublicKey));
    }

    [Fact]
    public async Task AHostCertificateOfARetiredHostKeyRenewsWithTheNewKey()
    {
        var web1 = await HostAsync("web1.example.test");
        var newHost = new SoftwareCaKey("host-2027");
        _ca.Devices["pkcs11:token=in-process;object=host-2027"] = newHost;
        _ca.Options.HostCa!.State = "retired";
        _ca.Options.HostCaKeys = new() { ["host-2027"] = new CaKeyOptions { Uri = "pkcs11:token=in-process;object=host-2027", PinFile = _ca.Options.HostCa.PinFile } };
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));

        var challenge = await _ca.Client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = web1.Certificate });
        var renewed = await _ca.Client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = web1.Key.SignSshSig(challenge.Namespace, challenge.Message.Span) });
        Assert.Equal(newHost.PublicKey, SshCertificate.ParseLine(renewed.Certificate.Certificate).SignatureKey);
        var keys = await _ca.Client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        Assert.Equal(2, keys.KnownHosts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ARefusedReloadChangesNothingAndNamesTheKey()
    {
        var before = await TrustAsync();
        var wrongKey = new SoftwareCaKey("impostor");
        AddUserKey("user-2027", "next");
        _ca.Options.UserCaKeys!["user-2027"].ExpectedPublicKey = wrongKey.PublicKey.GetSha256Fingerprint();
        await wrongKey.DisposeAsync();
        var mismatch = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator)));
        Assert.Equal((StatusCode.FailedPrecondition, "RELOAD_REFUSED"), (mismatch.StatusCode, Reason(mismatch)));
        Assert.Contains("user CA key user-2027", mismatch.Status.Detail, StringComparison.Ordinal);

        _ca.Options.UserCaKeys["user-2027"] = new CaKeyOptions { Uri = "pkcs11:token=in-process;object=user-2027", PinFile = _ca.Options.UserCa!.PinFile, State = "active" };
        var twoActive = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator)));
        Assert.Contains("exactly one key must be active, 2 are", twoActive.Status.Detail, StringComparison.Ordinal);

        _ca.Options.UserCaKeys["user-2027"] = new CaKeyOptions { State = "retired", ExpectedPublicKey = NewKey().GetSha256Fingerprint() };
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator)));
        Assert.Contains("never opened that key", unknown.Status.Detail, StringComparison.Ordinal);

        var after = await TrustAsync();
        Assert.Equal(before.Response.Version, after.Response.Version);
        Assert.Equal(_ca.UserKey.PublicKey, (await UserAsync()).SignatureKey);

        foreach (var caller in new[] { Alice, Auditor })
        {
            var denied = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(caller)));
            Assert.Equal("OPERATOR_RIGHT_MISSING", Reason(denied));
            var noStatus = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.GetCaStatusAsync(new GetCaStatusRequest(), As(caller)));
            Assert.Equal("OPERATOR_RIGHT_MISSING", Reason(noStatus));
        }

        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest()));
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
    }

    [Fact]
    public async Task TheEmergencyPathRevokesTheOldKeyInTheKrlAndDropsItFromTheTrustSet()
    {
        var old = await UserAsync();
        var next = AddUserKey("user-2027", "next");
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));
        var krlBefore = (await _ca.Client.GetKrlAsync(new GetKrlRequest())).Version;

        SetState("user-2027", "active");
        SetState("userCa", "revoked");
        _ca.Options.UserCa!.ExpectedPublicKey = _ca.UserKey.PublicKey.GetSha256Fingerprint(); // remembered: the fingerprint names it
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));

        var krl = await _ca.Client.GetKrlAsync(new GetKrlRequest());
        Assert.True(krl.Version > krlBefore);
        Assert.True(SshKrl.Parse(krl.Krl.Memory).IsRevoked(old));
        Assert.True(SshSig.ParseArmored(krl.Signature).Verifies(next.PublicKey, KrlSignatureNamespace, krl.Krl.Span));
        var (set, _) = await TrustAsync();
        Assert.Equal([next.PublicKey], set.Trusted(SshCertificateType.User));
        Assert.Equal(SshHsmCa.Ssh.Trust.CaKeyState.Revoked, set.Keys.Single(k => k.PublicKey.Equals(_ca.UserKey.PublicKey)).State);
        var revocations = await _ca.Client.ListRevocationsAsync(new ListRevocationsRequest(), As(Operator));
        Assert.Equal("operator", revocations.Revocations.Single().Caller); // who asked for the reload

        // A second reload with the same states records nothing more.
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));
        Assert.Single((await _ca.Client.ListRevocationsAsync(new ListRevocationsRequest(), As(Operator))).Revocations);
    }

    [Fact]
    public async Task AFetchWithABadProofIsRefusedAndCountsNothing()
    {
        var web1 = await HostAsync("web1.example.test");
        AddUserKey("user-2027", "next");
        await _ca.Client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), As(Operator));
        var challenge = await _ca.Client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = web1.Certificate });
        await using var stranger = new SoftwareCaKey("stranger");
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await TrustAsync(new GetTrustSetRequest { ChallengeId = challenge.ChallengeId, Signature = stranger.SignSshSig(challenge.Namespace, challenge.Message.Span) }));
        Assert.Equal("RENEWAL_REFUSED", Reason(refused));
        var garbage = await Assert.ThrowsAsync<RpcException>(async () => await TrustAsync(new GetTrustSetRequest { ChallengeId = challenge.ChallengeId, Signature = "not a signature" }));
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (garbage.StatusCode, Reason(garbage)));
        var status = await _ca.Client.GetCaStatusAsync(new GetCaStatusRequest(), As(Operator));
        Assert.Equal(0UL, status.Keys.Single(k => k.Key.Name == "user-2027").PartiesFetched);
    }

    private const string KrlSignatureNamespace = KrlSignature.Namespace;
}
