using Grpc.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 29 end to end, with OpenSSH's own ssh-keygen, ssh-agent, ssh-add, ssh and sshd and the
/// test security key (a provider library): a user enrolls a key made in the security key with its
/// attestation (key enroll), logs in with it (login --security-key: the certificate beside the key
/// handle in ssh-agent, with verify-required because the enrollment verified the user), and
/// ssh logs in to sshd, which honours verify-required. A role that requires attestation refuses
/// a software key, an enrolled key without user verification, and enrollment refuses a challenge
/// of another caller, a used one, and an attestation under a root the CA does not pin.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class SecurityKeyLoginTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-sk-login-");
    private readonly TestAuthenticator _authenticator = new();

    public void Dispose()
    {
        _authenticator.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task EnrollLogInWithTheSecurityKeyAndSshWithVerifyRequired()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        await using var daemon = await StartDaemonAsync(idp);
        var idToken = _dir.Write("id-token", await DevIdentityProvider.FetchIdTokenAsync(idp) + "\n");
        using var agent = await SshAgent.StartAsync(_dir, providers: _authenticator.Provider);
        var environment = new Dictionary<string, string>(_authenticator.Environment, StringComparer.Ordinal)
        {
            ["SSH_AUTH_SOCK"] = agent.Socket,
            ["SSH_SK_PROVIDER"] = _authenticator.Provider,
            // The CLI runs ssh-keygen and ssh-add by name: the release's under test.
            ["PATH"] = (OpenSsh.Bin is { } bin ? bin + ":" : string.Empty) + Environment.GetEnvironmentVariable("PATH"),
        };

        // ssh-keygen would write through a link in place of the key files: refused before any call.
        var trap = _dir.PathOf("trap");
        File.CreateSymbolicLink(_dir.PathOf("linked.pub"), trap);
        var linked = daemon.Cli(environment, "key", "enroll", "--provider", _authenticator.Provider, "--out", _dir.PathOf("linked"), "--id-token-file", idToken);
        Assert.True(linked.ExitCode == 2 && linked.Stderr.Contains("is a link", StringComparison.Ordinal), linked.Output);
        Assert.False(File.Exists(trap));

        // Enroll: a key made in the security key, verified and recorded.
        var key = _dir.PathOf("id_ed25519_sk");
        var enroll = daemon.Cli(environment, "key", "enroll", "--type", "ed25519-sk", "--verify-required", "--provider", _authenticator.Provider, "--out", key, "--id-token-file", idToken);
        Assert.True(enroll.ExitCode == 0, enroll.Output);
        Assert.Contains("user verification: yes", enroll.Stdout, StringComparison.Ordinal);
        Assert.Contains(TestAuthenticator.Model.ToString(), enroll.Stdout, StringComparison.Ordinal);
        var enrolled = SshPublicKey.ParseLine(File.ReadAllText(key + ".pub"));
        var listed = await daemon.SocketClient().ListSecurityKeysAsync(new ListSecurityKeysRequest { Caller = "*" });
        Assert.Equal(enrolled.GetSha256Fingerprint(), Assert.Single(listed.Keys).Fingerprint);

        // A fresh software key is refused by the role that requires attestation; nothing enters the agent.
        var software = daemon.Cli(environment, "login", "--id-token-file", idToken);
        Assert.True(software.ExitCode != 0 && software.Stderr.Contains("a security key (sk-*) is required", StringComparison.Ordinal), software.Output);
        Assert.Empty(agent.List());

        // Login with the security key: the certificate (verify-required) beside the key handle in ssh-agent.
        var login = daemon.Cli(environment, "login", "--id-token-file", idToken, "--security-key", key);
        Assert.True(login.ExitCode == 0, login.Output);
        Assert.Contains("verify-required", login.Stdout, StringComparison.Ordinal);
        var certificate = SshCertificate.ParseLine(File.ReadAllText(key + "-cert.pub"));
        Assert.Equal(enrolled, certificate.PublicKey);
        Assert.True(certificate.CriticalOptions.Contains(SshCriticalOptions.VerifyRequiredName));
        Assert.Contains(agent.List(), line => line.Contains("ED25519-SK-CERT", StringComparison.Ordinal));

        // ssh through the agent; sshd checks the signature's UV flag because of verify-required.
        var keys = await daemon.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = SshdServer.HostAlias });
        await using var sshd = await SshdServer.StartAsync(SshPublicKey.ParseLine(keys.UserCaPublicKey), async hostKey =>
            SshCertificate.ParseLine((await daemon.SocketClient().SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = hostKey.ToOpenSshLine(), Principals = { SshdServer.HostAlias } })).Certificate.Certificate));
        var ssh = sshd.LoginWithAgent(agent.Socket, SshPublicKey.ParseLine(keys.HostCaPublicKey));
        Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), ssh.Output + sshd.Log);
        Assert.Contains(certificate.KeyId, sshd.Log, StringComparison.Ordinal);

        // An enrolled key whose enrollment did not verify the user: enrolled, but the role refuses it.
        var lazy = _dir.PathOf("id_ecdsa_sk");
        var plain = daemon.Cli(environment, "key", "enroll", "--provider", _authenticator.Provider, "--out", lazy, "--id-token-file", idToken);
        Assert.True(plain.ExitCode == 0 && plain.Stdout.Contains("user verification: no", StringComparison.Ordinal), plain.Output);
        var refused = daemon.Cli(environment, "login", "--force", "--id-token-file", idToken, "--security-key", lazy);
        Assert.True(refused.ExitCode != 0 && refused.Stderr.Contains("did not verify the user", StringComparison.Ordinal), refused.Output);
        Assert.False(File.Exists(lazy + "-cert.pub"));
    }

    [Fact]
    public async Task EnrollmentRefusesAnotherCallersChallengeAUsedOneAndAnUnpinnedRoot()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        await using var daemon = await StartDaemonAsync(idp);
        var bearer = new Metadata { { "authorization", "Bearer " + await DevIdentityProvider.FetchIdTokenAsync(idp) } };
        var user = daemon.TlsClient(null);

        // A challenge the operator (on the socket) was given does not enroll for the SSO user.
        var operatorChallenge = (await daemon.SocketClient().BeginKeyEnrollmentAsync(new BeginKeyEnrollmentRequest())).Challenge.ToByteArray();
        var (foreignKey, foreignAttestation) = _authenticator.Enroll("ecdsa-sk", operatorChallenge);
        var foreign = await Assert.ThrowsAsync<RpcException>(() => user.EnrollSecurityKeyAsync(Request(foreignKey, foreignAttestation, operatorChallenge), bearer).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, foreign.StatusCode);
        Assert.Contains("not a challenge this appliance gave this caller", foreign.Status.Detail, StringComparison.Ordinal);

        // The user's own challenge works once.
        var challenge = (await user.BeginKeyEnrollmentAsync(new BeginKeyEnrollmentRequest(), bearer)).Challenge.ToByteArray();
        var (key, attestation) = _authenticator.Enroll("ecdsa-sk", challenge);
        var enrolled = await user.EnrollSecurityKeyAsync(Request(key, attestation, challenge), bearer);
        Assert.Equal(TestAuthenticator.Model.ToString(), enrolled.Key.Aaguid);
        var (again, againAttestation) = _authenticator.Enroll("ecdsa-sk", challenge);
        var reused = await Assert.ThrowsAsync<RpcException>(() => user.EnrollSecurityKeyAsync(Request(again, againAttestation, challenge), bearer).ResponseAsync);
        Assert.Contains("used already", reused.Status.Detail, StringComparison.Ordinal);

        // An attestation under a root the CA does not pin: refused with the check that failed, nothing recorded.
        using var stranger = new TestAuthenticator();
        var fresh = (await user.BeginKeyEnrollmentAsync(new BeginKeyEnrollmentRequest(), bearer)).Challenge.ToByteArray();
        var (strangerKey, strangerAttestation) = stranger.Enroll("ecdsa-sk", fresh);
        var untrusted = await Assert.ThrowsAsync<RpcException>(() => user.EnrollSecurityKeyAsync(Request(strangerKey, strangerAttestation, fresh), bearer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, untrusted.StatusCode);
        Assert.Contains("UntrustedRoot", untrusted.Status.Detail, StringComparison.Ordinal);
        Assert.Single((await daemon.SocketClient().ListSecurityKeysAsync(new ListSecurityKeysRequest { Caller = "*" })).Keys);

        // Hostile fields are named.
        var bad = await Assert.ThrowsAsync<RpcException>(() => user.EnrollSecurityKeyAsync(new EnrollSecurityKeyRequest { PublicKey = "ssh-ed25519 AAAA", Attestation = Google.Protobuf.ByteString.CopyFrom(1), Challenge = Google.Protobuf.ByteString.CopyFrom(fresh) }, bearer).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("public_key", bad.Status.Detail, StringComparison.Ordinal);
    }

    private static EnrollSecurityKeyRequest Request(string key, byte[] attestation, byte[] challenge) => new()
    {
        PublicKey = File.ReadAllText(key + ".pub").Trim(),
        Attestation = Google.Protobuf.ByteString.CopyFrom(attestation),
        Challenge = Google.Protobuf.ByteString.CopyFrom(challenge),
    };

    private async Task<DaemonUnderTest> StartDaemonAsync(DevIdentityProvider idp)
    {
        var roots = _dir.Write("fido-roots.pem", _authenticator.Root.ExportCertificatePem() + "\n");
        var intermediates = _dir.Write("fido-intermediates.pem", _authenticator.Intermediate.ExportCertificatePem() + "\n");
        var policy = $$"""
            {
              "roles": [
                { "name": "hardware", "match": [ { "oidc": { "issuer": "{{idp.Issuer}}" } } ],
                  "user": { "principals": ["{claim:preferred_username}"], "validity": { "default": "1h", "max": "8h" },
                            "keys": { "requireAttestation": true, "aaguids": ["{{TestAuthenticator.Model}}"], "requireUserVerification": true } } },
                { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
                  "operator": ["audit"],
                  "host": { "names": ["{{SshdServer.HostAlias}}"] } }
              ]
            }
            """;
        return await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519, policy, configure: options =>
        {
            options.Oidc = new CaDaemon.Auth.OidcOptions { Issuer = idp.Issuer, ClientId = "ssh-hsm-ca", AllowLoopbackHttp = true };
            options.Tls!.RequireClientCertificate = false;
            options.SecurityKeys = new CaDaemon.SecurityKeys.SecurityKeyOptions { AttestationRoots = roots, AttestationIntermediates = intermediates };
        });
    }
}
