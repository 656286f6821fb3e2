using System.Globalization;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 30 end to end with OpenSSH's ssh-agent, ssh and sshd: a role with an agent section makes
/// login add the key with a restrict-destination constraint (the host CA as is_ca key for every
/// hop). Through a jump host A (ssh -A), the forwarded agent signs for B, which the policy names
/// from A, and refuses C (a host with a certificate from the same CA, for another name), which
/// it does not; the refusal is in ssh-agent's debug log. The same key added without the
/// constraint reaches C. A direct connection is checked too (the first hop must be named), and a
/// local program that signs through the agent without binding a session is refused the key.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class AgentDestinationTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-agent-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AForwardedRestrictedKeySignsForTheNamedHopAndRefusesAnother()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        var policy = $$"""
            {
              "roles": [
                { "name": "restricted", "match": [ { "oidc": { "issuer": "{{idp.Issuer}}" } } ],
                  "user": { "principals": ["{claim:preferred_username}"], "validity": { "default": "1h", "max": "8h" },
                            "agent": { "restrictDestinations": true, "hosts": ["a.test"], "via": [ { "from": "a.test", "to": ["b.test"] } ] } } },
                { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
                  "host": { "names": ["a.test", "b.test", "c.test"] } }
              ]
            }
            """;
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519, policy, configure: options =>
        {
            options.Oidc = new CaDaemon.Auth.OidcOptions { Issuer = idp.Issuer, ClientId = "ssh-hsm-ca", AllowLoopbackHttp = true };
            options.Tls!.RequireClientCertificate = false;
        });
        var keys = await daemon.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        var userCa = SshPublicKey.ParseLine(keys.UserCaPublicKey);
        var hostCa = SshPublicKey.ParseLine(keys.HostCaPublicKey);
        var knownHosts = _dir.Write("known_hosts", $"@cert-authority * {hostCa.ToOpenSshLine("host-ca")}\n");
        await using var a = await Host(daemon, userCa, "a.test");
        await using var b = await Host(daemon, userCa, "b.test");
        await using var c = await Host(daemon, userCa, "c.test");

        using var agent = await SshAgent.StartAsync(_dir, debug: true);
        var idToken = _dir.Write("id-token", await DevIdentityProvider.FetchIdTokenAsync(idp) + "\n");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = agent.Socket, ["HOME"] = _dir.Path };
        var login = daemon.Cli(environment, "login", "--id-token-file", idToken, "--write-files", _dir.PathOf("files"));
        Assert.True(login.ExitCode == 0, login.Output);
        Assert.Contains("usable for:  a.test", login.Stdout, StringComparison.Ordinal);
        Assert.Contains("through a.test: b.test", login.Stdout, StringComparison.Ordinal);
        var shown = daemon.Cli(environment, "agent");
        Assert.True(shown.ExitCode == 0 && shown.Stdout.Contains("through a.test: b.test", StringComparison.Ordinal), shown.Output);

        // Through A to B: allowed. Through A to C: the forwarded agent refuses to sign.
        var toB = Jump(agent.Socket, knownHosts, a, "a.test", b, "b.test");
        Assert.True(toB.ExitCode == 0 && toB.Stdout.Contains("inner-ok", StringComparison.Ordinal), toB.Output + "\n--- agent:\n" + agent.Log);
        var toC = Jump(agent.Socket, knownHosts, a, "a.test", c, "c.test");
        Assert.False(toC.Stdout.Contains("inner-ok", StringComparison.Ordinal), "the restricted key reached C: " + toC.Output);
        // The forwarded agent does not even offer the key for C (PROTOCOL.agent: identities are filtered by destination).
        Assert.Contains("not permitted for this destination", agent.Log, StringComparison.Ordinal);

        // Directly, the first hop must be named too: A yes, B no.
        Assert.Contains("direct-ok", Direct(agent.Socket, knownHosts, a, "a.test").Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("direct-ok", Direct(agent.Socket, knownHosts, b, "b.test").Stdout, StringComparison.Ordinal);

        // A local program that signs through the agent without binding a session (ssh-keygen -Y sign,
        // git's commit signing) gets no signature from a restricted key: measured, and documented.
        var message = _dir.Write("message", "local use\n");
        var certificateFile = _dir.PathOf("files/id_ed25519_ssh-hsm-ca-cert.pub");
        var local = ProcessRunner.Run(Tools.SshKeygen, ["-Y", "sign", "-f", certificateFile, "-n", "file", message], environment);
        Assert.True(local.ExitCode != 0 && !File.Exists(message + ".sig"), local.Output);
        Assert.Contains("refusing use of destination-constrained key to sign on unbound connection", agent.Log, StringComparison.Ordinal);

        // The same key and certificate in an agent without the constraint reach C through A.
        using var open = await SshAgent.StartAsync(_dir);
        var add = ProcessRunner.Run(Tools.SshAdd, [_dir.PathOf("files/id_ed25519_ssh-hsm-ca")], new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = open.Socket });
        Assert.True(add.ExitCode == 0, add.Output);
        var unrestricted = Jump(open.Socket, knownHosts, a, "a.test", c, "c.test");
        Assert.True(unrestricted.ExitCode == 0 && unrestricted.Stdout.Contains("inner-ok", StringComparison.Ordinal), unrestricted.Output);
    }

    private static async Task<SshdServer> Host(DaemonUnderTest daemon, SshPublicKey userCa, string name) =>
        await SshdServer.StartAsync(userCa, async hostKey =>
            SshCertificate.ParseLine((await daemon.SocketClient().SignHostCertificateAsync(new SignHostCertificateRequest { PublicKey = hostKey.ToOpenSshLine(), Principals = { name } })).Certificate.Certificate));

    private static string[] SshOptions(string knownHosts, SshdServer server, string alias) =>
    [
        "-F", "/dev/null",
        "-o", $"UserKnownHostsFile={knownHosts}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", $"HostKeyAlias={alias}",
        "-o", "BatchMode=yes",
        "-o", "IdentityFile=none",
        "-o", "ConnectTimeout=10",
        "-p", server.Port.ToString(CultureInfo.InvariantCulture),
    ];

    private static ProcessRunner.Result Direct(string agent, string knownHosts, SshdServer server, string alias) =>
        ProcessRunner.Run(Tools.Ssh, [.. SshOptions(knownHosts, server, alias), "-o", $"IdentityAgent={agent}", $"{SshdServer.User}@127.0.0.1", "echo", "direct-ok"], timeoutMs: 30_000);

    /// <summary>ssh -A to the jump host, which runs ssh to the target with the forwarded agent.</summary>
    private static ProcessRunner.Result Jump(string agent, string knownHosts, SshdServer jump, string jumpAlias, SshdServer target, string targetAlias)
    {
        var inner = string.Join(' ', new[] { Tools.Ssh }.Concat(SshOptions(knownHosts, target, targetAlias)).Append($"{SshdServer.User}@127.0.0.1").Append("echo").Append("inner-ok"));
        return ProcessRunner.Run(Tools.Ssh, [.. SshOptions(knownHosts, jump, jumpAlias), "-A", "-o", $"IdentityAgent={agent}", $"{SshdServer.User}@127.0.0.1", inner], timeoutMs: 60_000);
    }
}
