using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 6 end to end, as a host and a user live it: a real OpenID Connect provider (OpenIddict)
/// on loopback, the daemon with keys on SoftHSM2, the CLI as a process, Debian's ssh-agent, sshd
/// and ssh. The host is bootstrapped with a one-time token and renews by proving possession of its
/// key; the user logs in through the device flow and reaches sshd with only the agent.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class SsoAndHostFlowTests(SoftHsm hsm) : IDisposable
{
    private const string HostName = SshdServer.HostAlias;
    private readonly TempDir _dir = new("sshhsmca-sso-");

    private static string Policy(string issuer, string ssoExtra = "", string validity = "\"default\": \"1h\", \"max\": \"8h\"") => $$"""
        {
          "roles": [
            { "name": "engineers", "match": [ { "oidc": { "issuer": "{{issuer}}", "groups": ["ssh-users"] } } ],
              "user": { "principals": ["{claim:preferred_username}"], "validity": { {{validity}} } {{ssoExtra}} } },
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit", "revoke"],
              "user": { "principals": ["{{SshdServer.User}}"] } },
            { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
              "host": { "names": ["{{HostName}}"], "validity": { "default": "30d", "max": "90d" } } }
          ]
        }
        """;

    [Fact]
    public async Task BootstrapLoginSshRebootstrapRenewAndLogout()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        await using var daemon = await StartDaemonAsync(idp, Policy(idp.Issuer));
        using var agent = await SshAgent.StartAsync(_dir);

        // 1. The host: a one-time token from an operator, then bootstrap over TLS with no client certificate.
        var etc = Directory.CreateDirectory(_dir.PathOf("etc-ssh")).FullName;
        var dropIns = Path.Combine(etc, "sshd_config.d");
        NewHostKeys(etc);
        Bootstrap(daemon, etc, dropIns);
        var dropIn = await File.ReadAllTextAsync(Path.Combine(dropIns, "ssh-hsm-ca.conf"));
        Assert.Contains($"HostCertificate {etc}/ssh_host_ed25519_key-cert.pub", dropIn, StringComparison.Ordinal);
        Assert.Contains($"TrustedUserCAKeys {etc}/ssh-hsm-ca-user-ca.pub", dropIn, StringComparison.Ordinal);
        Assert.Contains($"RevokedKeys {etc}/ssh-hsm-ca-revoked.krl", dropIn, StringComparison.Ordinal);
        Assert.Equal(0UL, SshHsmCa.Ssh.Krl.SshKrl.Parse(File.ReadAllBytes(Path.Combine(etc, "ssh-hsm-ca-revoked.krl"))).Version);
        var port = Repository.FreePort();
        using var sshd = StartSshd(etc, dropIns, port);

        // The same token is spent.
        var token = File.ReadAllText(_dir.PathOf("token"));
        var again = Cli(daemon, null, ["host", "bootstrap", "--token-file", _dir.PathOf("token"), "--ssh-dir", etc, "--sshd-config-dir", dropIns]);
        Assert.True(again.ExitCode == 1 && again.Stderr.Contains("already used", StringComparison.Ordinal), again.Output);
        Assert.DoesNotContain(token.Trim()[^43..], again.Output, StringComparison.Ordinal);

        // 2. The user: device flow, then ssh with only the agent and a known_hosts of one @cert-authority line.
        var login = await LoginWithDeviceFlowAsync(daemon, agent, []);
        Assert.True(login.ExitCode == 0, login.Output);
        Assert.Contains($"principals: {SshdServer.User}", login.Stdout, StringComparison.Ordinal);
        var identities = agent.List();
        Assert.Equal(2, identities.Count);
        Assert.Contains(identities, l => l.EndsWith("(ED25519-CERT)", StringComparison.Ordinal));
        var knownHosts = _dir.Write("known_hosts", $"@cert-authority *.internal {daemon.SocketClient().GetCaPublicKeys(new GetCaPublicKeysRequest()).HostCaPublicKey}\n");
        var ssh = Ssh(agent, port, knownHosts);
        Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), ssh.Output + sshd.Log);
        Assert.DoesNotContain("WARNING", ssh.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.Path, "id_*"));

        // A second login with a valid certificate in the agent does nothing.
        var second = Cli(daemon, agent, ["login", "--id-token-file", "/nonexistent"]);
        Assert.True(second.ExitCode == 0 && second.Stdout.Contains("Already logged in", StringComparison.Ordinal), second.Output);

        // 3. The host key is replaced and bootstrapped again under the same name: no warning, no prompt.
        NewHostKeys(etc);
        Bootstrap(daemon, etc, dropIns);
        sshd.Reload();
        var afterRekey = Ssh(agent, port, knownHosts);
        Assert.True(afterRekey.ExitCode == 0 && afterRekey.Stdout.Contains("login-ok", StringComparison.Ordinal), afterRekey.Output + sshd.Log);
        Assert.DoesNotContain("WARNING", afterRekey.Stderr, StringComparison.Ordinal);

        // 4. Renewal: a timer run that is not due changes nothing; a due one proves possession and gets a new serial.
        var certificatePath = Path.Combine(etc, "ssh_host_ed25519_key-cert.pub");
        var before = await File.ReadAllTextAsync(certificatePath);
        var notDue = Cli(daemon, null, ["host", "renew", "--ssh-dir", etc, "--if-expires-within", "1d"]);
        Assert.True(notDue.ExitCode == 0 && notDue.Stdout.Contains("not renewed", StringComparison.Ordinal), notDue.Output);
        Assert.Equal(before, await File.ReadAllTextAsync(certificatePath));
        var renewed = Cli(daemon, null, ["host", "renew", "--ssh-dir", etc, "--if-expires-within", "60d", "--json"]);
        Assert.True(renewed.ExitCode == 0 && renewed.Stdout.Contains("\"renewed\":true", StringComparison.Ordinal), renewed.Output);
        Assert.NotEqual(before, await File.ReadAllTextAsync(certificatePath));
        sshd.Reload();
        Assert.Equal(0, Ssh(agent, port, knownHosts).ExitCode);

        // A proof by another key over a real challenge is refused and recorded.
        var client = daemon.TlsClient(null);
        var challenge = await client.BeginHostRenewalAsync(new BeginHostRenewalRequest { Certificate = await File.ReadAllTextAsync(certificatePath) });
        var other = _dir.PathOf("other_key");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", other]).ExitCode);
        await File.WriteAllBytesAsync(_dir.PathOf("challenge"), challenge.Message.ToByteArray());
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-Y", "sign", "-n", challenge.Namespace, "-f", other, _dir.PathOf("challenge")]).ExitCode);
        var forged = await Assert.ThrowsAsync<RpcException>(async () => await client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = await File.ReadAllTextAsync(_dir.PathOf("challenge.sig")) }));
        Assert.Equal(StatusCode.Unauthenticated, forged.StatusCode);
        // A forged proof does not use the challenge up (only a verified one does): the retry is
        // refused for the same reason, and a made-up challenge id is refused as unknown.
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId, Signature = await File.ReadAllTextAsync(_dir.PathOf("challenge.sig")) }));
        Assert.Contains("the signature is not by the certificate's key", replay.Status.Detail, StringComparison.Ordinal);
        var madeUp = await Assert.ThrowsAsync<RpcException>(async () => await client.RenewHostCertificateAsync(new RenewHostCertificateRequest { ChallengeId = challenge.ChallengeId[..^2] + "AA", Signature = await File.ReadAllTextAsync(_dir.PathOf("challenge.sig")) }));
        Assert.Contains("unknown, used or expired challenge", madeUp.Status.Detail, StringComparison.Ordinal);

        // 5. logout removes what login added.
        var logout = Cli(daemon, agent, ["logout"]);
        Assert.True(logout.ExitCode == 0, logout.Output);
        Assert.Empty(agent.List());
        Assert.NotEqual(0, Ssh(agent, port, knownHosts).ExitCode);
    }

    [Fact]
    public async Task PolicyDecidesPrincipalsForcedOptionsAndTheAgentLifetime()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        var forced = ", \"forceCommand\": { \"allowed\": [\"echo forced-command-ran\"], \"forced\": \"echo forced-command-ran\" }, \"sourceAddress\": { \"allowed\": [\"0.0.0.0/0\"], \"default\": \"127.0.0.1/32\" }";
        await using var daemon = await StartDaemonAsync(idp, Policy(idp.Issuer, forced));
        using var agent = await SshAgent.StartAsync(_dir);
        var (sshd, port) = BootstrappedHost(daemon);
        using var _ = sshd;
        var knownHosts = _dir.Write("known_hosts", $"@cert-authority *.internal {daemon.SocketClient().GetCaPublicKeys(new GetCaPublicKeysRequest()).HostCaPublicKey}\n");

        // A principal outside policy: a clear reason, nothing in the agent.
        var outside = await LoginWithDeviceFlowAsync(daemon, agent, ["-n", "someone-else"]);
        Assert.True(outside.ExitCode == 1, outside.Output);
        Assert.Contains("principal-not-allowed", outside.Stderr, StringComparison.Ordinal);
        Assert.Contains("someone-else", outside.Stderr, StringComparison.Ordinal);
        Assert.Empty(agent.List());

        // The forced command replaces what the client asks to run; source-address 127.0.0.1 is allowed.
        var login = await LoginWithDeviceFlowAsync(daemon, agent, []);
        Assert.True(login.ExitCode == 0, login.Output);
        var ssh = Ssh(agent, port, knownHosts);
        Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("forced-command-ran", StringComparison.Ordinal) && !ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), ssh.Output + sshd.Log);

        // A source-address that excludes this client: sshd refuses the certificate.
        Cli(daemon, agent, ["logout"]);
        daemon.ReplacePolicy(Policy(idp.Issuer, forced.Replace("127.0.0.1/32", "192.0.2.7/32", StringComparison.Ordinal)));
        Assert.Equal(0, (await LoginWithDeviceFlowAsync(daemon, agent, [])).ExitCode);
        var wrongSource = Ssh(agent, port, knownHosts);
        Assert.NotEqual(0, wrongSource.ExitCode);
        Assert.Contains("with valid certificate but not from a permitted source address (127.0.0.1)", sshd.Log, StringComparison.Ordinal);

        // The agent drops key and certificate when the certificate's validity ends.
        Cli(daemon, agent, ["logout"]);
        daemon.ReplacePolicy(Policy(idp.Issuer, validity: "\"default\": \"5s\", \"max\": \"5s\""));
        var brief = await LoginWithDeviceFlowAsync(daemon, agent, []);
        Assert.True(brief.ExitCode == 0, brief.Output);
        Assert.Equal(2, agent.List().Count);
        for (var i = 0; i < 100 && agent.List().Count > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Empty(agent.List());
    }

    [Fact]
    public async Task LoginThroughTheBrowserWithPkceAndALoopbackRedirect()
    {
        using var idp = await DevIdentityProvider.StartAsync(SshdServer.User);
        await using var daemon = await StartDaemonAsync(idp, Policy(idp.Issuer));
        using var agent = await SshAgent.StartAsync(_dir);

        // The "browser" follows the provider's redirect back to the CLI's listener on 127.0.0.1, as a user's would.
        var browser = _dir.Write("browser", "#!/bin/sh\nexec curl -sS -L -o /dev/null \"$1\"\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = agent.Socket, ["BROWSER"] = browser };
        var login = ProcessRunner.Run("/usr/bin/dotnet",
            [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile, "login", "--redirect-port", idp.RedirectPort.ToString(CultureInfo.InvariantCulture), "--json"],
            environment, 120_000);
        Assert.True(login.ExitCode == 0, login.Output + idp.Output);
        Assert.Contains("\"status\":\"logged-in\"", login.Stdout, StringComparison.Ordinal);
        Assert.Contains("code_challenge=", login.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, agent.List().Count);

        // Automation: an ID token from a file, and --write-files for tools that need a key on disk (0600).
        var idToken = _dir.Write("id-token", await DevIdentityProvider.FetchIdTokenAsync(idp) + "\n");
        var files = _dir.PathOf("keys");
        var automated = ProcessRunner.Run("/usr/bin/dotnet",
            [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile, "login", "--force", "--id-token-file", idToken, "--write-files", files],
            environment, 120_000);
        Assert.True(automated.ExitCode == 0, automated.Output);
        var key = Path.Combine(files, "id_ed25519_ssh-hsm-ca");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var check = ProcessRunner.Run(Tools.SshKeygen, ["-y", "-f", key]);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.StartsWith((await File.ReadAllTextAsync(key + ".pub"))[..80], check.Stdout, StringComparison.Ordinal);
        var listing = ProcessRunner.Run(Tools.SshKeygen, ["-L", "-f", key + "-cert.pub"]);
        Assert.True(listing.ExitCode == 0 && listing.Stdout.Contains(SshdServer.User, StringComparison.Ordinal), listing.Output);
        Assert.Equal(4, agent.List().Count);

        // A token that is not an ID token for this CA: refused, nothing added.
        var bad = _dir.Write("bad-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.\n");
        var refused = ProcessRunner.Run("/usr/bin/dotnet",
            [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile, "login", "--force", "--id-token-file", bad],
            environment, 120_000);
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("Unauthenticated", StringComparison.Ordinal), refused.Output);
        Assert.Equal(4, agent.List().Count);
    }

    /// <summary>
    /// Issue 14: a user with nothing (a fresh account: no ~/.ssh, no known_hosts) trusts the CA by
    /// the fingerprint its operator gave out, logs in, and ssh checks the host by its certificate
    /// with StrictHostKeyChecking=yes and no other known_hosts entry; a wrong fingerprint writes nothing.
    /// </summary>
    [Fact]
    public async Task AFreshUserSetsUpByFingerprintLogsInAndSshsWithoutTrustOnFirstUse()
    {
        using var account = FreshAccount.Create();
        using var idp = await DevIdentityProvider.StartAsync(account.Name);
        await using var daemon = await StartDaemonAsync(idp, Policy(idp.Issuer), fullChain: true);
        var (sshd, port) = BootstrappedHost(daemon);
        using var _ = sshd;

        // The CLI where the account can read it.
        var cli = Path.Combine(account.Home, "cli");
        ReadableCopy.Of(Path.GetDirectoryName(Repository.Binary("Cli", "ssh-hsm-ca.dll"))!, cli);
        var server = $"https://127.0.0.1:{daemon.Port}";
        ProcessRunner.Result Cli(params string[] arguments) => account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), .. arguments]);
        var config = Path.Combine(account.Home, ".config", "ssh-hsm-ca");
        var sshConfig = Path.Combine(account.Home, ".ssh", "config");

        // A wrong fingerprint: refused, nothing written.
        var wrong = Cli("--server", server, "setup", "--fingerprint", "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('='));
        Assert.True(wrong.ExitCode == 1 && wrong.Stderr.Contains("nothing was written", StringComparison.Ordinal), wrong.Output);
        Assert.False(Directory.Exists(config));
        Assert.False(File.Exists(sshConfig));

        // The right one, as the operator prints it.
        var fingerprint = ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "ca", "fingerprint", daemon.ServerCaFile]);
        Assert.True(fingerprint.ExitCode == 0, fingerprint.Output);
        var setup = Cli("--server", server, "setup", "--fingerprint", fingerprint.Stdout.Split(' ')[0]);
        Assert.True(setup.ExitCode == 0, setup.Output);
        Assert.Contains("\n@cert-authority * ", File.ReadAllText(Path.Combine(config, "known_hosts")), StringComparison.Ordinal);
        Assert.StartsWith($"Include {account.Home}/.ssh/ssh-hsm-ca.conf\n", File.ReadAllText(sshConfig), StringComparison.Ordinal);

        // login with no --server or --server-ca: the configuration setup wrote.
        var agent = await account.StartAgentAsync();
        var idToken = account.Write("id-token", await DevIdentityProvider.FetchIdTokenAsync(idp) + "\n");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = agent };
        var login = account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), "login", "--id-token-file", idToken], environment);
        Assert.True(login.ExitCode == 0, login.Output);
        Assert.Contains($"principals: {account.Name}", login.Stdout, StringComparison.Ordinal);

        // Plain ssh: the user's own config (with the Include), strict host key checking, nothing else.
        var ssh = account.Run(Tools.Ssh,
        [
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", $"HostKeyAlias={HostName}",
            "-o", "IdentityFile=none",
            "-o", "ConnectTimeout=10",
            "-p", port.ToString(CultureInfo.InvariantCulture),
            $"{account.Name}@127.0.0.1",
            "echo", "login-ok",
        ], environment, 30_000);
        Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), ssh.Output + sshd.Log);
        Assert.DoesNotContain("WARNING", ssh.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(account.Home, ".ssh", "known_hosts")), "ssh learnt a key on first use");

        // Issue 16: ssh reads the CA's KRL through RevokedHostKeys; once the operator revokes the
        // host's certificates and the user logs in again (which refreshes the KRL), ssh refuses the host.
        Assert.Contains($"RevokedHostKeys {config}/revoked-hosts.krl", File.ReadAllText(Path.Combine(account.Home, ".ssh", "ssh-hsm-ca.conf")), StringComparison.Ordinal);
        await daemon.SocketClient().RevokeAsync(new RevokeRequest { Principal = HostName, Scope = CaScope.Host, Reason = "host compromised" });
        var again = account.Run("/usr/bin/dotnet", [Path.Combine(cli, "ssh-hsm-ca.dll"), "login", "--id-token-file", idToken], environment);
        Assert.True(again.ExitCode == 0 && again.Stdout.Contains("Updated the CA's KRL", StringComparison.Ordinal), again.Output);
        var refused = account.Run(Tools.Ssh, ["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", $"HostKeyAlias={HostName}", "-o", "IdentityFile=none", "-o", "ConnectTimeout=10",
            "-p", port.ToString(CultureInfo.InvariantCulture), $"{account.Name}@127.0.0.1", "echo", "login-ok"], environment, 30_000);
        Assert.True(refused.ExitCode == 255 && refused.Stderr.Contains("revoked", StringComparison.OrdinalIgnoreCase), refused.Output);
    }

    private async Task<DaemonUnderTest> StartDaemonAsync(DevIdentityProvider idp, string policy, bool fullChain = false) =>
        await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519, policy, configure: options =>
        {
            options.Oidc = new CaDaemon.Auth.OidcOptions { Issuer = idp.Issuer, ClientId = "ssh-hsm-ca", AllowLoopbackHttp = true };
            options.Tls!.RequireClientCertificate = false;
            if (fullChain)
            {
                // A certificate file with the chain up to the root, which the daemon then sends.
                File.AppendAllText(options.Tls.CertificateFile!, "\n" + File.ReadAllText(options.Tls.ClientCaFile!));
            }
        });

    /// <summary>A host bootstrapped with a one-time token (both host keys certified) and its sshd on a free loopback port.</summary>
    private (BootstrappedSshd Sshd, int Port) BootstrappedHost(DaemonUnderTest daemon)
    {
        var etc = Directory.CreateDirectory(_dir.PathOf("etc-ssh")).FullName;
        var dropIns = Path.Combine(etc, "sshd_config.d");
        NewHostKeys(etc);
        Bootstrap(daemon, etc, dropIns);
        var port = Repository.FreePort();
        return (StartSshd(etc, dropIns, port), port);
    }

    private static void NewHostKeys(string etc) => BootstrappedSshd.NewHostKeys(etc);

    private void Bootstrap(DaemonUnderTest daemon, string etc, string dropIns)
    {
        var token = Cli(daemon, null, ["--socket", daemon.SocketPath, "host", "token", HostName, "--validity", "10m"], socketOnly: true);
        Assert.True(token.ExitCode == 0 && token.Stdout.StartsWith("shcbt_", StringComparison.Ordinal), token.Output);
        _dir.Write("token", token.Stdout.Split('\n')[0] + "\n");
        var bootstrap = Cli(daemon, null, ["host", "bootstrap", "--token-file", _dir.PathOf("token"), "--ssh-dir", etc, "--sshd-config-dir", dropIns]);
        Assert.True(bootstrap.ExitCode == 0, bootstrap.Output);
        Assert.Contains($"Certified 2 host key(s) as {HostName}", bootstrap.Stdout, StringComparison.Ordinal);
    }

    private ProcessRunner.Result Cli(DaemonUnderTest daemon, SshAgent? agent, string[] arguments, bool socketOnly = false)
    {
        string[] connection = socketOnly ? [] : ["--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSH_AUTH_SOCK"] = agent?.Socket ?? _dir.PathOf("no-agent") };
        return ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. connection, .. arguments], environment, 120_000);
    }

    /// <summary>Runs <c>login --device</c> and plays the user's browser: opens the printed verification URL.</summary>
    private static async Task<ProcessRunner.Result> LoginWithDeviceFlowAsync(DaemonUnderTest daemon, SshAgent agent, string[] extra)
    {
        var start = new ProcessStartInfo("/usr/bin/dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile, "login", "--device", .. extra])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SSH_AUTH_SOCK"] = agent.Socket;
        using var process = Process.Start(start)!;
        var stdout = new StringBuilder();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            stdout.AppendLine(line);
            if (line.StartsWith("To log in, open ", StringComparison.Ordinal))
            {
                var url = line["To log in, open ".Length..].Split(' ')[0];
                using var approval = await http.GetAsync(new Uri(url), timeout.Token);
                Assert.True((int)approval.StatusCode is 200 or 302, $"verification page answered {approval.StatusCode}");
            }
        }

        await process.WaitForExitAsync(timeout.Token);
        return new ProcessRunner.Result(process.ExitCode, stdout.ToString(), await stderrTask);
    }

    private static ProcessRunner.Result Ssh(SshAgent agent, int port, string knownHosts) =>
        ProcessRunner.Run(Tools.Ssh,
        [
            "-F", "/dev/null",
            "-o", $"UserKnownHostsFile={knownHosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", $"HostKeyAlias={HostName}",
            "-o", "BatchMode=yes",
            "-o", $"IdentityAgent={agent.Socket}",
            "-o", "IdentityFile=none",
            "-o", "PasswordAuthentication=no",
            "-o", "ConnectTimeout=10",
            "-p", port.ToString(CultureInfo.InvariantCulture),
            $"{SshdServer.User}@127.0.0.1",
            "echo", "login-ok",
        ], timeoutMs: 30_000);

    private BootstrappedSshd StartSshd(string etc, string dropIns, int port) => BootstrappedSshd.Start(_dir, etc, dropIns, port);

    public void Dispose() => _dir.Dispose();
}
