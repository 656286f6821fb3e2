using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Xunit.Abstractions;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// The daemon with its CA keys in the virtual YubiKey (through the real pcscd): logins with the
/// certificates it issues, host batches with touch prompts, a pulled card, a mismatched slot.
/// </summary>
[Collection("pcsc")]
public sealed class PivDaemonTests(VirtualCard card, ITestOutputHelper output)
{
    private const string Pin = "123456";
    private static readonly string Policy = $$"""
        {
          "roles": [
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit", "batch", "ceremony"],
              "user": { "principals": ["{{SshdServer.User}}"] },
              "host": { "names": ["{{SshdServer.HostAlias}}", "*.batch.test"], "validity": { "default": "30d", "max": "90d", "backdate": "5m" } } }
          ]
        }
        """;

    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 180_000);

    private Task<DaemonUnderTest> StartAsync(PivAlgorithm userAlgorithm, PivAlgorithm hostAlgorithm, PivTouchPolicy hostTouch, Action<DaemonOptions>? configure = null, string? policy = null, bool configFile = false)
    {
        card.Factory();
        var user = PivKeyCeremony.Generate(new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9A }, userAlgorithm, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
        var host = PivKeyCeremony.Generate(new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9C }, hostAlgorithm, PivPinPolicy.Once, hostTouch, PivManagementKey.DefaultKey);
        return DaemonUnderTest.StartAsync(
            Pin,
            pin => (
                new CaKeyOptions { Uri = $"piv:serial={VirtualCard.Serial};slot=9a", PinFile = pin, ExpectedPublicKey = user.PublicKey.GetSha256Fingerprint() },
                new CaKeyOptions { Uri = $"piv:serial={VirtualCard.Serial};slot=9c", PinFile = pin, ExpectedPublicKey = host.PublicKey.ToOpenSshLine(), Piv = new() { TouchTimeoutSeconds = 20 } }),
            token: "piv",
            policy: policy ?? Policy,
            configure: configure,
            configFile: configFile);
    }

    [Fact]
    public async Task AYubiKeyHeldUserCaIsReplacedByANewKeyOnTheCardWithoutBreakingALogin()
    {
        var policy = $$"""
            {
              "roles": [
                { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
                  "operator": ["tokens", "rotate"],
                  "user": { "principals": ["{{SshdServer.User}}"], "validity": { "default": "1h", "max": "8h" } } },
                { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
                  "host": { "names": ["*.fleet.internal"], "validity": { "default": "30d", "max": "90d" } } }
              ]
            }
            """;
        await using var daemon = await StartAsync(PivAlgorithm.EccP256, PivAlgorithm.Ed25519, PivTouchPolicy.Never, o => o.Tls!.RequireClientCertificate = false, policy, configFile: true);
        using var dir = new TempDir("sshhsmca-piv-rotation-");
        using var fleet = new Fleet(daemon, dir);
        var host = fleet.Add("piv1.fleet.internal");
        var knownHosts = dir.Write("known_hosts", Fleet.Ok(fleet.Operator("ca", "known-hosts", "--hosts", "*.fleet.internal"), "ca known-hosts").Stdout);
        string UserCertificate(string name)
        {
            Assert.Equal(0, Tools.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", dir.PathOf(name)]).ExitCode);
            Fleet.Ok(fleet.Operator("sign", dir.PathOf(name) + ".pub"), "sign " + name);
            return dir.PathOf(name);
        }

        void LogsIn(string key, string phase)
        {
            var ssh = Tools.Run(Tools.Ssh, Fleet.SshArguments(host, SshdServer.User, "-F", "/dev/null", "-o", $"UserKnownHostsFile={knownHosts}", "-o", "GlobalKnownHostsFile=/dev/null", "-o", $"IdentityFile={key}", "-o", $"CertificateFile={key}-cert.pub", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"));
            Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), $"{phase}: {ssh.Output}\n{host.Sshd.Log}");
        }

        var old = UserCertificate("id_old");
        LogsIn(old, "before the rotation");

        // The new user CA key is made in another slot of the card (as the key ceremony makes it) and published as next.
        var made = PivKeyCeremony.Generate(new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9D }, PivAlgorithm.EccP256, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
        var publicKey = dir.Write("yk-9d.pub", made.PublicKey.ToOpenSshLine() + "\n");
        var config = daemon.ConfigPath!;
        Fleet.Ok(fleet.Operator("ca", "rotate", "--user", "--config", config, "--add", "yk-9d", "--uri", $"piv:serial={VirtualCard.Serial};slot=9d", "--public-key", publicKey, "--pin-file", Path.Combine(daemon.Directory, "pin")), "ca rotate --add");
        fleet.RenewAll();
        Assert.Contains(made.PublicKey.ToOpenSshLine(), File.ReadAllText(Path.Combine(host.Etc, "ssh-hsm-ca-user-ca.pub")), StringComparison.Ordinal);
        Fleet.Ok(fleet.Operator("ca", "rotate", "--user", "--config", config, "--promote"), "ca rotate --promote");

        // The old slot's certificate still logs in; new ones come from slot 9d and log in too.
        LogsIn(old, "after the switch, the old key's certificate");
        var fresh = UserCertificate("id_new");
        Assert.Equal(made.PublicKey, SshCertificate.ParseLine(File.ReadAllText(fresh + "-cert.pub")).SignatureKey);
        LogsIn(fresh, "after the switch, the new key's certificate");
        var status = Fleet.Ok(fleet.Operator("ca", "status"), "ca status").Stdout;
        Assert.Contains("piv serial", status, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Phase 2 of 3", Fleet.Ok(fleet.Operator("ca", "rotate", "--user"), "ca rotate").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificatesSignedThroughTheVirtualYubiKeyLogInToSshd()
    {
        await using var daemon = await StartAsync(PivAlgorithm.EccP256, PivAlgorithm.Ed25519, PivTouchPolicy.Cached);
        var client = daemon.SocketClient();
        var keys = await client.GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        var userCa = SshPublicKey.ParseLine(keys.UserCaPublicKey);
        var hostCa = SshPublicKey.ParseLine(keys.HostCaPublicKey);
        Assert.Equal("ecdsa-sha2-nistp256", userCa.KeyType);
        Assert.Equal("ssh-ed25519", hostCa.KeyType);

        await using var sshd = await SshdServer.StartAsync(userCa, async hostKey =>
        {
            var request = new SignHostCertificateRequest { PublicKey = hostKey.ToOpenSshLine() };
            request.Principals.Add(SshdServer.HostAlias);
            return SshCertificate.ParseLine((await client.SignHostCertificateAsync(request)).Certificate.Certificate);
        });
        var key = sshd.NewUserKey("id_piv");
        var user = await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = File.ReadAllText(key + ".pub") });
        var certificate = SshCertificate.ParseLine(user.Certificate.Certificate);
        Assert.Equal(userCa, certificate.SignatureKey);
        var login = sshd.Login(key, sshd.WriteCertificate("piv-cert.pub", certificate), hostCa);
        Assert.True(login.ExitCode == 0, $"login failed: {login.Output}\nsshd: {sshd.Log}");
        Assert.Contains($"Accepted certificate ID \"{certificate.KeyId}\" (serial {certificate.Serial})", sshd.Log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PivTouchPolicy.Always, 50)]
    [InlineData(PivTouchPolicy.Cached, 1)]
    public async Task AHostBatchThroughTheCliShowsTouchPromptsAndWritesEveryCertificate(PivTouchPolicy touch, int expectedPrompts)
    {
        await using var daemon = await StartAsync(PivAlgorithm.EccP256, PivAlgorithm.EccP256, touch);
        using var dir = new TempDir("sshhsmca-batch-");
        var lines = new List<string> { "# 50 hosts and one the policy refuses" };
        for (var i = 1; i <= 50; i++)
        {
            var keygen = Tools.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", $"h{i}", "-f", dir.PathOf($"key{i}")]);
            Assert.True(keygen.ExitCode == 0, keygen.Output);
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"host-{i:00}.batch.test {File.ReadAllText(dir.PathOf($"key{i}.pub")).Trim()}"));
        }

        lines.Add($"evil.example {File.ReadAllText(dir.PathOf("key1.pub")).Trim()}");
        File.WriteAllLines(dir.PathOf("hosts.txt"), lines);
        Directory.CreateDirectory(dir.PathOf("out"));

        // The other input form: a folder of NAME.pub files (for "cached").
        var input = dir.PathOf("hosts.txt");
        if (touch == PivTouchPolicy.Cached)
        {
            input = dir.PathOf("keys");
            Directory.CreateDirectory(input);
            foreach (var line in lines.Skip(1))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                File.WriteAllText(Path.Combine(input, line[..space] + ".pub"), line[(space + 1)..] + "\n");
            }
        }

        // The touch comes 500 ms after the card starts waiting: well past the daemon's 200 ms.
        card.Key.TouchDelay = TimeSpan.FromMilliseconds(500);
        var waits = card.Key.TouchWaits;
        var started = Stopwatch.StartNew();
        var result = Cli("--socket", daemon.SocketPath, "host", "sign-batch", input, "--out", dir.PathOf("out"), "--json");
        var elapsed = started.Elapsed;
        output.WriteLine($"touch {touch}: 50 host certificates in {elapsed.TotalSeconds:0.00} s ({50 / elapsed.TotalSeconds:0.0}/s) through the CLI, pcscd and the virtual card");
        Assert.True(result.ExitCode == 1, result.Output); // one host refused
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(expectedPrompts, card.Key.TouchWaits - waits);
        Assert.Equal(50, root.GetProperty("issued").GetInt32());
        Assert.Equal(1, root.GetProperty("denied").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        Assert.Equal(expectedPrompts, root.GetProperty("touchPrompts").GetInt32());
        Assert.Equal(expectedPrompts, card.Key.TouchWaits - waits);
        Assert.Equal(expectedPrompts, result.Stderr.Split('\n').Count(l => l.Contains("waiting for touch", StringComparison.Ordinal)));
        Assert.Contains("evil.example: PERMISSION_DENIED", result.Stderr, StringComparison.Ordinal);

        var hostCa = SshPublicKey.ParseLine((await daemon.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest())).HostCaPublicKey);
        for (var i = 1; i <= 50; i++)
        {
            var file = dir.PathOf($"out/host-{i:00}.batch.test-cert.pub");
            var certificate = SshCertificate.ParseLine(File.ReadAllText(file));
            Assert.Equal(hostCa, certificate.SignatureKey);
            Assert.Equal([$"host-{i:00}.batch.test"], certificate.Principals);
            Assert.Equal(SshPublicKey.ParseLine(File.ReadAllText(dir.PathOf($"key{i}.pub"))), certificate.PublicKey);
        }

        var check = Tools.Run(Tools.SshKeygen, ["-L", "-f", dir.PathOf("out/host-50.batch.test-cert.pub")]);
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains("host certificate", StringComparison.Ordinal), check.Output);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{daemon.Options.Metrics!.Port}/metrics"));
        Assert.Contains($"sshhsmca_touch_prompts_total{{ca=\"host\"}} {expectedPrompts}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACardPulledMidBatchFailsThatHostAndTheBatchRecovers()
    {
        await using var daemon = await StartAsync(PivAlgorithm.EccP256, PivAlgorithm.EccP256, PivTouchPolicy.Always);
        var request = new SignHostCertificateBatchRequest();
        for (var i = 1; i <= 12; i++)
        {
            var host = new SignHostCertificateRequest { PublicKey = TestKeys.Ed25519Line() };
            host.Principals.Add($"pulled-{i:00}.batch.test");
            request.Hosts.Add(host);
        }

        // The fifth signature: the card is pulled while it waits for the touch, and put back.
        var waits = 0;
        card.Key.TouchMode = VirtualCards.TouchMode.Manual;
        card.Key.WaitingForTouch = () =>
        {
            if (Interlocked.Increment(ref waits) == 5)
            {
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    card.Remove();
                    card.Insert();
                });
            }
            else
            {
                card.Key.Touch();
            }
        };

        var results = new List<BatchHostResult>();
        BatchSummary? summary = null;
        try
        {
            using var call = daemon.SocketClient().SignHostCertificateBatch(request);
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                if (e.Result is { } r)
                {
                    results.Add(r);
                }

                summary ??= e.Summary;
            }
        }
        finally
        {
            card.Key.WaitingForTouch = null;
        }

        Assert.NotNull(summary);
        Assert.Equal(12, results.Count);
        var failed = results.Where(r => r.Certificate is null).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, f => Assert.Equal(("UNAVAILABLE", "CA_KEY_UNAVAILABLE"), (f.Error.Code, f.Error.Reason)));
        Assert.Equal(4u, failed[0].Index); // the host whose signature was in flight
        Assert.NotNull(results[^1].Certificate); // and the batch recovered: the last host was signed
        Assert.Equal((uint)(12 - failed.Count), summary.Issued);
        output.WriteLine($"pulled mid-batch: {failed.Count} host(s) failed ({string.Join(", ", failed.Select(f => f.Index))}), {summary.Issued} issued");
    }

    [Fact]
    public void ASlotWhoseKeyIsNotTheConfiguredOneKeepsTheDaemonFromStarting()
    {
        const string pin = "847261";
        card.Factory();
        card.Key.Personalise(pin, "12345678", PivManagementKey.DefaultKey.ToArray(), 0x0A);
        var other = SshPublicKey.ParseLine(TestKeys.Ed25519Line());
        PivKeyCeremony.Generate(new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9A }, PivAlgorithm.EccP256, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
        PivKeyCeremony.Generate(new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9C }, PivAlgorithm.EccP256, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
        using var dir = new TempDir("sshhsmca-pivconfig-");
        var pinFile = dir.Write("pin", pin + "\n");
        dir.Write("policy.json", Policy);
        var config = dir.Write("config.json", $$"""
            {
              "unixSocket": { "path": "{{dir.PathOf("ca.sock")}}" },
              "userCa": { "uri": "piv:serial={{VirtualCard.Serial}};slot=9a", "pinFile": "{{pinFile}}" },
              "hostCa": { "uri": "piv:serial={{VirtualCard.Serial}};slot=9c", "pinFile": "{{pinFile}}", "expectedPublicKey": "{{other.GetSha256Fingerprint()}}" },
              "policyFile": "{{dir.PathOf("policy.json")}}",
              "auditDatabase": "{{dir.PathOf("audit.db")}}",
              "journalSocket": ""
            }
            """);
        var result = ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("CaDaemon", "ssh-hsm-cad.dll"), "--config", config], timeoutMs: 60_000);
        Assert.True(result.ExitCode == 1, result.Output);
        Assert.Contains("not started", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"expects {other.GetSha256Fingerprint()}", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.PathOf("ca.sock")));
        Assert.DoesNotContain(pin, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKeyCeremonyRunsInTheDaemonAndTheCaKeysAttestationsArePublished()
    {
        using var dir = new TempDir("sshhsmca-ceremony-");
        var managementKey = dir.Write("management-key", Convert.ToHexString(PivManagementKey.DefaultKey) + "\n");
        var roots = dir.Write("roots.pem", card.Authority.Root.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var daemon = await StartAsync(PivAlgorithm.EccP256, PivAlgorithm.EccP384, PivTouchPolicy.Never, o => o.Piv = new CaDaemon.Ceremony.PivOptions { ManagementKeyFile = managementKey, AttestationRootsFile = roots });

        var result = Cli("--socket", daemon.SocketPath, "piv", "generate", $"piv:serial={VirtualCard.Serial};slot=9d", "--algorithm", "p256", "--pin-policy", "once", "--touch-policy", "cached", "--json");
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("attestationVerified").GetBoolean(), result.Stdout);
        Assert.Equal(card.Authority.Root.Subject, json.RootElement.GetProperty("attestationRoot").GetString());
        var generated = SshPublicKey.ParseLine(json.RootElement.GetProperty("publicKey").GetString()!);
        using (var pcsc = PcscCard.Connect(Pcscd.ReaderName))
        {
            var session = new PivSession(pcsc);
            session.Select();
            var metadata = session.GetMetadata(0x9D);
            Assert.Equal(generated, metadata.PublicKey);
            Assert.Equal(PivTouchPolicy.Cached, metadata.TouchPolicy);
        }

        // A slot that holds this daemon's CA key is not overwritten.
        var refused = Cli("--socket", daemon.SocketPath, "piv", "generate", $"piv:serial={VirtualCard.Serial};slot=9c");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("holds this daemon's host CA key", refused.Stderr, StringComparison.Ordinal);
        // An algorithm the card cannot make is a usage error, refused before any call (with the command's help).
        var bad = Cli("--socket", daemon.SocketPath, "piv", "generate", $"piv:serial={VirtualCard.Serial};slot=9d", "--algorithm", "dsa");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("dsa", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("--algorithm", bad.Stderr, StringComparison.Ordinal);

        // Clients can check that the CA keys were born on the device.
        var keys = await daemon.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        foreach (var (pem, line) in new[] { (keys.UserCaAttestationPem, keys.UserCaPublicKey), (keys.HostCaAttestationPem, keys.HostCaPublicKey) })
        {
            var chain = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            chain.ImportFromPem(pem);
            Assert.Equal(2, chain.Count);
            var statement = PivAttestation.Verify(chain[0].RawData, chain[1].RawData, [card.Authority.Root]);
            Assert.Equal(VirtualCard.Serial, statement.Serial);
            var ec = (EcdsaPublicKey)SshPublicKey.ParseLine(line);
            using var expected = System.Security.Cryptography.ECDsa.Create(ec.ToParameters());
            Assert.Equal(expected.ExportSubjectPublicKeyInfo(), statement.SubjectPublicKeyInfo);
        }
    }
}
