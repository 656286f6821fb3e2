using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Tests.Shared;
using static SshHsmCa.Interop.Tests.Support.Fleet;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 17's proof: a loopback fleet of three sshd hosts (their own host keys and trust files,
/// kept current only by `host renew`) and a user logging in through ssh-agent (`setup` once, then
/// `login`), walked through a full rotation of the user CA and of the host CA with `ca rotate`,
/// CA keys on SoftHSM2. At every phase every certificate that should work logs in, old and new,
/// with strict host key checking and batch mode (no prompt possible) and no file edited by hand;
/// after the emergency path the revoked key's certificates are refused by every host at once.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class RotationFleetTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-rotation-");

    public void Dispose() => _dir.Dispose();

    private static string Policy(string issuer) => $$"""
        {
          "roles": [
            { "name": "engineers", "match": [ { "oidc": { "issuer": "{{issuer}}", "groups": ["ssh-users"] } } ],
              "user": { "principals": ["{claim:preferred_username}"], "validity": { "default": "8h", "max": "8h" } } },
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit", "revoke", "rotate"] },
            { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
              "host": { "names": ["*.fleet.internal"], "validity": { "default": "30d", "max": "90d" } } }
          ]
        }
        """;

    [Fact]
    public async Task TheUserCaAndTheHostCaRotateAcrossAFleetWithoutBreakingALoginOrAPrompt()
    {
        using var account = FreshAccount.Create();
        using var idp = await DevIdentityProvider.StartAsync(account.Name);
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519, Policy(idp.Issuer), configure: options =>
        {
            options.Oidc = new CaDaemon.Auth.OidcOptions { Issuer = idp.Issuer, ClientId = "ssh-hsm-ca", AllowLoopbackHttp = true };
            options.Tls!.RequireClientCertificate = false;
            File.AppendAllText(options.Tls.CertificateFile!, "\n" + File.ReadAllText(options.Tls.ClientCaFile!));
        }, configFile: true);
        using var fleet = new Fleet(daemon, _dir);
        foreach (var name in new[] { "web1", "web2", "db1" })
        {
            fleet.Add(name + ".fleet.internal");
        }

        // The user: setup pins the TLS root by fingerprint; login puts a certificate in the agent.
        var cli = Path.Combine(account.Home, "cli");
        ReadableCopy.Of(Path.GetDirectoryName(Repository.Binary("Cli", "ssh-hsm-ca.dll"))!, cli);
        var fingerprint = Ok(ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "ca", "fingerprint", daemon.ServerCaFile]), "ca fingerprint").Stdout.Split(' ')[0];
        Ok(account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "setup", "--fingerprint", fingerprint, "--hosts", "*.fleet.internal"]), "setup");
        var agent = await account.StartAgentAsync();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = agent };
        var idToken = account.Write("id-token", await DevIdentityProvider.FetchIdTokenAsync(idp) + "\n");
        ProcessRunner.Result Login(bool force = true) => Ok(account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), "login", "--id-token-file", idToken, .. (force ? new[] { "--force" } : [])], environment), "login");
        SshCertificate InAgent() => SshCertificate.ParseLine(Ok(account.Run(Tools.SshAdd, ["-L"], environment), "ssh-add -L").Stdout.Split('\n').Last(l => l.Contains("-cert-v01@openssh.com", StringComparison.Ordinal)));
        void EveryHostLetsIn(string phase)
        {
            foreach (var host in fleet.Hosts)
            {
                var ssh = account.Run(Tools.Ssh, SshArguments(host, account.Name, "-o", "IdentityFile=none"), environment, 30_000);
                Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), $"{phase}: {host.Name} refused: {ssh.Output}\n{host.Sshd.Log}");
                Assert.DoesNotContain("WARNING", ssh.Stderr, StringComparison.Ordinal);
            }
        }

        void EveryHostRefuses(string phase)
        {
            foreach (var host in fleet.Hosts)
            {
                var ssh = account.Run(Tools.Ssh, SshArguments(host, account.Name, "-o", "IdentityFile=none"), environment, 30_000);
                Assert.True(ssh.ExitCode == 255, $"{phase}: {host.Name} let a revoked certificate in: {ssh.Output}");
            }
        }

        Login(force: false);
        EveryHostLetsIn("before any rotation");
        var original = InAgent().SignatureKey;
        var token = daemon.Token;
        var status = () => daemon.SocketClient().GetCaStatus(new GetCaStatusRequest());

        // --- The user CA: phase 1, the new key is published as next (a key made on the token beforehand).
        var userNext = SshHsm(token, "user-ca-2027", 11);
        var add = Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--add", "user-2027", "--uri", SoftHsm.Uri(daemon.Token, "user-ca-2027"), "--public-key", userNext.File, "--pin-file", Path.Combine(daemon.Directory, "pin")), "ca rotate --add");
        Assert.Contains("user-2027 is published as the next user CA key", add.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 of 3 hosts have fetched it", Ok(fleet.Operator("ca", "status"), "ca status").Stdout, StringComparison.Ordinal);

        // Promoting before the hosts have it is refused, saying which.
        var early = fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--promote");
        Assert.True(early.ExitCode == 1 && early.Stderr.Contains("host:db1.fleet.internal", StringComparison.Ordinal), early.Output);
        fleet.RenewAll();
        foreach (var host in fleet.Hosts)
        {
            var trusted = File.ReadAllText(Path.Combine(host.Etc, "ssh-hsm-ca-user-ca.pub"));
            Assert.Contains(userNext.Key.ToOpenSshLine(), trusted, StringComparison.Ordinal);
            Assert.Contains(original.ToOpenSshLine(), trusted, StringComparison.Ordinal);
        }

        Assert.Equal(3UL, status().Keys.Single(k => k.Key.Name == "user-2027").PartiesFetched);
        EveryHostLetsIn("user CA phase 1");

        // Phase 2: the new key signs; the old one is retired, and what it signed still logs in.
        Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--promote"), "ca rotate --promote");
        EveryHostLetsIn("user CA phase 2, the old key's certificate");
        Login();
        Assert.Equal(userNext.Key, InAgent().SignatureKey);
        EveryHostLetsIn("user CA phase 2, the new key's certificate");
        Assert.Contains("Phase 2 of 3", Ok(fleet.Operator("ca", "rotate", "--user"), "ca rotate (phase)").Stdout, StringComparison.Ordinal);

        // --- The host CA: the user's login fetches the next host key (and is counted), then hosts move to it.
        var hostNext = SshHsm(token, "host-ca-2027", 12);
        Ok(fleet.Operator("ca", "rotate", "--host", "--config", daemon.ConfigPath!, "--add", "host-2027", "--uri", SoftHsm.Uri(daemon.Token, "host-ca-2027"), "--public-key", hostNext.File, "--pin-file", Path.Combine(daemon.Directory, "pin")), "ca rotate --host --add");
        Assert.Equal(0UL, status().Keys.Single(k => k.Key.Name == "host-2027").PartiesFetched);
        Assert.Contains("Updated the CA's host keys", Login().Stdout, StringComparison.Ordinal);
        Assert.Equal((1UL, 1UL), status().Keys.Where(k => k.Key.Name == "host-2027").Select(k => (k.PartiesKnown, k.PartiesFetched)).Single());
        Ok(fleet.Operator("ca", "rotate", "--host", "--config", daemon.ConfigPath!, "--promote"), "ca rotate --host --promote");
        fleet.RenewAll(ifExpiresWithin: "60d");
        foreach (var host in fleet.Hosts)
        {
            Assert.Equal(hostNext.Key, SshCertificate.ParseLine(File.ReadAllText(Path.Combine(host.Etc, "ssh_host_ed25519_key-cert.pub"))).SignatureKey);
        }

        EveryHostLetsIn("host CA phase 2");

        // --- The emergency: the active user key is suspected; a next key was published ahead.
        var spare = SshHsm(token, "user-ca-2028", 13);
        Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--add", "user-2028", "--uri", SoftHsm.Uri(daemon.Token, "user-ca-2028"), "--public-key", spare.File, "--pin-file", Path.Combine(daemon.Directory, "pin")), "ca rotate --add user-2028");
        fleet.RenewAll();

        // Only the certificate of the key about to be revoked in the agent (the retired key's would still log in).
        Ok(account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), "logout"], environment), "logout");
        Login();
        Assert.Equal(userNext.Key, InAgent().SignatureKey);
        EveryHostLetsIn("before the emergency");
        var emergency = Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--emergency", "--reason", "token left unattended"), "ca rotate --emergency");
        Assert.Contains("user-2027 is revoked", emergency.Stdout, StringComparison.Ordinal);
        fleet.RenewAll();
        EveryHostRefuses("after the emergency, the revoked key's certificate");
        foreach (var host in fleet.Hosts)
        {
            // sshd's lines no longer name it; the state's comment lines remember it as revoked.
            var lines = File.ReadAllLines(Path.Combine(host.Etc, "ssh-hsm-ca-user-ca.pub"));
            Assert.DoesNotContain(lines, l => !l.StartsWith('#') && l.Contains(userNext.Key.ToOpenSshLine(), StringComparison.Ordinal));
            Assert.Contains("# ssh-hsm-ca revoked " + userNext.Key.ToOpenSshLine(), lines);
        }

        Login();
        Assert.Equal(spare.Key, InAgent().SignatureKey);
        EveryHostLetsIn("after the emergency, the new key's certificate");
        var revocations = Ok(fleet.Operator("revocations"), "revocations").Stdout;
        Assert.Contains("token left unattended", revocations, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostKeepsItsTrustFileWhenTheSetIsOlderOrSignedByAKeyItDoesNotTrustAndNeverWritesThroughALink()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.EcdsaP256, Policy("https://unused.example/"), configure: o => o.Tls!.RequireClientCertificate = false, configFile: true);
        using var fleet = new Fleet(daemon, _dir);
        var host = fleet.Add("web1.fleet.internal");
        var trusted = Path.Combine(host.Etc, "ssh-hsm-ca-user-ca.pub");
        var installed = File.ReadAllText(trusted);
        Assert.StartsWith("# ssh-hsm-ca trust set version 1:", installed, StringComparison.Ordinal);
        string[] renew = ["host", "renew", "--ssh-dir", host.Etc, "--if-expires-within", "1d"];

        // A file whose state says it holds a newer version: the CA's set is older, refused (exit 5), file unchanged.
        Assert.Contains("\n# ssh-hsm-ca trust-set 1 ", installed, StringComparison.Ordinal);
        var newer = installed.Replace("\n# ssh-hsm-ca trust-set 1 ", "\n# ssh-hsm-ca trust-set 99 ", StringComparison.Ordinal);
        File.WriteAllText(trusted, newer);
        var rollback = fleet.Cli(renew);
        Assert.True(rollback.ExitCode == 5 && rollback.Stderr.Contains("older version 1", StringComparison.Ordinal), rollback.Output);
        Assert.Equal(newer, File.ReadAllText(trusted));

        // A host that trusts another key: the set does not verify (exit 4), file unchanged.
        var stranger = SshHsm(daemon.Token, "stranger", 21).Key.ToOpenSshLine("someone else") + "\n";
        File.WriteAllText(trusted, stranger);
        var forged = fleet.Cli(renew);
        Assert.True(forged.ExitCode == 4 && forged.Stderr.Contains("not a user CA key this trust state lists", StringComparison.Ordinal), forged.Output);
        Assert.Equal(stranger, File.ReadAllText(trusted));

        // A link in the file's place: a new version replaces the link, the file it pointed to stays.
        var victim = _dir.Write("victim", installed);
        File.Delete(trusted);
        File.CreateSymbolicLink(trusted, victim);
        var next = SshHsm(daemon.Token, "user-ca-2027", 22);
        Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--add", "user-2027", "--uri", SoftHsm.Uri(daemon.Token, "user-ca-2027"), "--public-key", next.File, "--pin-file", Path.Combine(daemon.Directory, "pin")), "ca rotate --add");
        Ok(fleet.Cli(renew), "host renew through a link");
        Assert.Equal(installed, File.ReadAllText(victim));
        Assert.Null(new FileInfo(trusted).LinkTarget);
        Assert.Contains(next.Key.ToOpenSshLine(), File.ReadAllText(trusted), StringComparison.Ordinal);

        // A refused reload (a key that is not the one named) puts ca rotate's file back and changes nothing.
        var rotation = Path.Combine(Path.GetDirectoryName(daemon.ConfigPath!)!, "conf.d", "90-ca-rotation.json");
        var missing = fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--add", "user-2028", "--uri", SoftHsm.Uri(daemon.Token, "no-such-key"), "--public-key", next.File, "--pin-file", Path.Combine(daemon.Directory, "pin"));
        Assert.True(missing.ExitCode != 0, missing.Output);
        Assert.Contains("already the next key", missing.Stderr, StringComparison.Ordinal);
        Ok(fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--rollback"), "withdraw user-2027");
        var wrongKey = fleet.Operator("ca", "rotate", "--user", "--config", daemon.ConfigPath!, "--add", "user-2028", "--uri", SoftHsm.Uri(daemon.Token, "stranger"), "--public-key", next.File, "--pin-file", Path.Combine(daemon.Directory, "pin"));
        Assert.True(wrongKey.ExitCode == 1 && wrongKey.Stderr.Contains("the configuration was refused", StringComparison.Ordinal) && wrongKey.Stderr.Contains("user CA key user-2028", StringComparison.Ordinal) && wrongKey.Stderr.Contains("back as it was", StringComparison.Ordinal), wrongKey.Output);
        Assert.DoesNotContain("user-2028", File.ReadAllText(rotation), StringComparison.Ordinal);
        Assert.DoesNotContain("user-2028", Ok(fleet.Operator("ca", "status"), "ca status").Stdout, StringComparison.Ordinal);
    }

    /// <summary>A new Ed25519 key on the daemon's token (as the operator makes one before adding it), and its public key file.</summary>
    private (SshPublicKey Key, string File) SshHsm(string token, string label, byte id)
    {
        var key = SoftHsm.Generate(token, Hsm.Pkcs11.CaKeyType.Ed25519, label, id);
        return (key, _dir.Write(label + ".pub", key.ToOpenSshLine() + "\n"));
    }
}
