using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 18: three daemons on one PostgreSQL database (a cluster of Debian's PostgreSQL made by
/// the test), their CA keys on one token as a network HSM would share them. Concurrent issuance
/// from all three gives unique serials, each certificate in the audit log once; a bootstrap token
/// raced across the daemons is used exactly once; a revocation on one is in every daemon's KRL.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public sealed class SharedStoreTests(SoftHsm hsm, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-shared-");

    public void Dispose() => _dir.Dispose();

    private static string Policy => $$"""
        {
          "roles": [
            { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
              "operator": ["tokens", "audit", "revoke"],
              "user": { "principals": ["{{SshdServer.User}}"] } },
            { "name": "hosts", "match": [ { "bootstrap": true } ],
              "host": { "names": ["*.shared.internal"] } }
          ]
        }
        """;

    private static async Task<List<DaemonUnderTest>> StartThreeAsync(SoftHsm hsm, PostgresCluster cluster, string passwordFile, string? connectionString = null, int count = 3)
    {
        void Shared(DaemonOptions o)
        {
            o.Postgres = new PostgresOptions { ConnectionString = connectionString ?? cluster.ConnectionString, PasswordFile = passwordFile };
            o.Tls!.RequireClientCertificate = false;
        }

        var first = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.EcdsaP256, Policy, configure: Shared);
        var daemons = new List<DaemonUnderTest> { first };
        for (var i = 1; i < count; i++)
        {
            daemons.Add(await DaemonUnderTest.StartAsync(SoftHsm.UserPin, pin => (
                new CaKeyOptions { Uri = SoftHsm.Uri(first.Token, "user-ca"), PinFile = pin },
                new CaKeyOptions { Uri = SoftHsm.Uri(first.Token, "host-ca"), PinFile = pin }), first.Token, Policy, configure: Shared));
        }

        return daemons;
    }

    [Fact]
    public async Task ThreeDaemonsOnOneDatabaseIssueUniqueSerialsShareTokensOnceAndServeOneKrl()
    {
        using var cluster = PostgresCluster.Start();
        var passwordFile = cluster.WritePasswordFile(_dir.Path);
        var daemons = await StartThreeAsync(hsm, cluster, passwordFile);
        try
        {
            // Concurrent issuance: 3 daemons × 4 callers × 25 certificates.
            var serials = new ConcurrentBag<ulong>();
            var key = File.ReadAllText(new SshdServerKeys(_dir).UserKey + ".pub");
            await Task.WhenAll(daemons.SelectMany(d => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                var client = d.SocketClient();
                for (var i = 0; i < 25; i++)
                {
                    var issued = await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key });
                    serials.Add(issued.Certificate.Serial);
                }
            }))));
            Assert.Equal(300, serials.Count);
            Assert.Equal(300, serials.Distinct().Count());
            Assert.DoesNotContain(0UL, serials);
            Assert.Equal("300|300", cluster.Sql("SELECT count(*) || '|' || count(DISTINCT serial) FROM certificates WHERE outcome = 'issued';", "sshca"));

            // Any daemon finds what another issued.
            var last = serials.Max();
            foreach (var daemon in daemons)
            {
                Assert.Equal(last, (await daemon.SocketClient().GetCertificateAsync(new GetCertificateRequest { Serial = last })).Record.Serial);
            }

            // A bootstrap token raced across the daemons: exactly one host gets certificates.
            var token = (await daemons[0].SocketClient().CreateBootstrapTokenAsync(new CreateBootstrapTokenRequest { HostNames = { "web1.shared.internal" } })).Token;
            var hostKey = File.ReadAllText(new SshdServerKeys(_dir).HostKey + ".pub");
            var attempts = await Task.WhenAll(daemons.Select(d => Task.Run(async () =>
            {
                try
                {
                    var headers = new Metadata { { "authorization", "Bootstrap " + token } };
                    await d.TlsClient(null).BootstrapHostAsync(new BootstrapHostRequest { PublicKeys = { hostKey }, Principals = { "web1.shared.internal" } }, headers);
                    return "ok";
                }
                catch (RpcException e)
                {
                    return e.StatusCode.ToString();
                }
            })));
            Assert.Equal(1, attempts.Count(a => a == "ok"));
            Assert.Equal(2, attempts.Count(a => a == nameof(StatusCode.Unauthenticated)));

            // A revocation on one daemon: every daemon serves the same KRL version with the same bytes.
            var revoked = await daemons[1].SocketClient().RevokeAsync(new RevokeRequest { Serials = { last }, Scope = CaScope.User, Reason = "shared store test" });
            var krls = await Task.WhenAll(daemons.Select(async d => await d.SocketClient().GetKrlAsync(new GetKrlRequest())));
            Assert.All(krls, k => Assert.Equal(revoked.KrlVersion, k.Version));
            Assert.All(krls, k => Assert.Equal(krls[0].Krl, k.Krl));
            Assert.True(SshKrl.Parse(krls[2].Krl.Memory).Certificates.Single().RevokesSerial(last));
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{revoked.KrlVersion}"), cluster.Sql("SELECT version FROM krl_state;", "sshca"));

            // A page of the audit log on PostgreSQL: the revoked certificate marked, from one query.
            var listed = (await daemons[2].SocketClient().ListCertificatesAsync(new ListCertificatesRequest { PageSize = 500 })).Records;
            Assert.Equal("shared store test", listed.Single(r => r.Serial == last).Revocation.Reason);
            Assert.Equal(1, listed.Count(r => r.Revocation is not null));

            // Issue 31: three appliances appended to one issuance log, one after the other on its head
            // row: one leaf per certificate, no index twice or missing, the tree the records make.
            Assert.Equal("301", cluster.Sql("SELECT count(*) FROM certificates WHERE outcome = 'issued';", "sshca"));
            Assert.Equal("301|301", cluster.Sql("SELECT count(*) || '|' || count(DISTINCT ref) FROM log_entries WHERE kind = 'certificate';", "sshca"));
            Assert.Equal(cluster.Sql("SELECT size FROM log_head;", "sshca"), cluster.Sql("SELECT count(*) || '' FROM log_entries WHERE idx < (SELECT size FROM log_head);", "sshca"));
            Assert.Equal(cluster.Sql("SELECT size FROM log_head;", "sshca"), cluster.Sql("SELECT (max(idx) + 1) || '' FROM log_entries;", "sshca"));
            var clean = await daemons[2].SocketClient().VerifyLogAsync(new VerifyLogRequest());
            Assert.True(clean.Ok, string.Join("\n", clean.Problems));
            var index = long.Parse(cluster.Sql(string.Create(CultureInfo.InvariantCulture, $"SELECT idx FROM log_entries WHERE kind = 'certificate' AND ref = {last};"), "sshca"), CultureInfo.InvariantCulture);
            cluster.Sql(string.Create(CultureInfo.InvariantCulture, $"UPDATE certificates SET caller = 'someone else' WHERE serial = {last};"), "sshca");
            var tampered = await daemons[0].SocketClient().VerifyLogAsync(new VerifyLogRequest());
            Assert.False(tampered.Ok);
            Assert.Equal(index, tampered.FirstBadIndex);
        }
        finally
        {
            await DisposeAllAsync(daemons);
        }
    }

    [Fact]
    public async Task DaemonsStartingTogetherMigrateOnceAndABadPasswordIsAClearRefusal()
    {
        using var cluster = PostgresCluster.Start();
        var passwordFile = cluster.WritePasswordFile(_dir.Path);
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => CaDaemon.Audit.SqlAuditStore.OpenPostgres(cluster.ConnectionString, cluster.Password))));
        foreach (var store in stores)
        {
            store.Dispose();
        }

        // Every migration once: the base schema, CA key states, enrolled security keys (issue 29).
        Assert.Equal("4", cluster.Sql("SELECT version FROM schema_version;", "sshca"));
        var wrong = _dir.Write("wrong-password", "not-the-password\n");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => DaemonUnderTest.StartAsync(hsm, configure: o => o.Postgres = new PostgresOptions { ConnectionString = cluster.ConnectionString, PasswordFile = wrong }));
        Assert.Contains("PostgreSQL audit store could not be opened", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Password, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePrimaryDiesUnderLoadAndAfterThePromotionNothingAClientReceivedIsLost()
    {
        using var primary = PostgresCluster.Start();
        using var standby = primary.StartStandby();
        primary.RequireSynchronousStandby();
        var passwordFile = primary.WritePasswordFile(_dir.Path);
        var both = string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1:{primary.Port},127.0.0.1:{standby.Port};Database=sshca;Username=sshca;Target Session Attributes=primary;Host Recheck Seconds=1;Pooling=false;Timeout=3;Command Timeout=10");
        var daemons = await StartThreeAsync(hsm, primary, passwordFile, both, count: 2);
        try
        {
            var key = File.ReadAllText(new SshdServerKeys(_dir).UserKey + ".pub");
            var received = new ConcurrentDictionary<ulong, DateTime>();
            var refusals = new ConcurrentBag<(StatusCode Code, DateTime At, TimeSpan Took)>();
            using var stop = new CancellationTokenSource();
            var load = daemons.SelectMany(d => Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                var client = d.SocketClient();
                while (!stop.IsCancellationRequested)
                {
                    var started = DateTime.UtcNow;
                    try
                    {
                        var issued = await client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key }, deadline: DateTime.UtcNow.AddSeconds(30));
                        received[issued.Certificate.Serial] = DateTime.UtcNow;
                    }
                    catch (RpcException e)
                    {
                        refusals.Add((e.StatusCode, DateTime.UtcNow, DateTime.UtcNow - started));
                        await Task.Delay(20);
                    }
                }
            }))).ToList();

            for (var i = 0; i < 600 && received.Count < 300; i++)
            {
                await Task.Delay(50);
            }

            Assert.True(received.Count >= 300, $"only {received.Count} certificates before the kill");
            var killing = DateTime.UtcNow;
            primary.Kill();
            var killed = DateTime.UtcNow;
            var health = new Grpc.Health.V1.Health.HealthClient(daemons[0].SocketChannel());
            var notServing = false;
            for (var i = 0; i < 100 && !notServing; i++)
            {
                notServing = (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing;
                await Task.Delay(100);
            }

            Assert.True(notServing, "health stayed SERVING with no primary");
            await Task.Delay(1000);
            var before = received.Count;
            standby.Promote();
            var promoted = DateTime.UtcNow;
            for (var i = 0; i < 600 && received.Count(r => r.Value > promoted) < 100; i++)
            {
                await Task.Delay(50);
            }

            await stop.CancelAsync();
            await Task.WhenAll(load);
            var after = received.Where(r => r.Value > promoted).ToList();
            Assert.True(after.Count >= 100, $"the daemons did not serve again after the promotion ({after.Count} certificates); refusals: {string.Join(", ", refusals.GroupBy(r => r.Code).Select(g => $"{g.Key} {g.Count()}"))}");
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);

            // Every certificate a client received is in the new primary's audit log, once.
            var stored = standby.Sql("SELECT serial FROM certificates WHERE outcome = 'issued';", "sshca").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ulong.Parse(l, CultureInfo.InvariantCulture)).ToHashSet();
            var missing = received.Keys.Where(s => !stored.Contains(s)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} certificates received by clients are not in the promoted standby: {string.Join(", ", missing.Take(10))}");
            Assert.Equal(received.Count, received.Keys.Distinct().Count());

            // From the moment the kill began until service was back, calls failed as UNAVAILABLE (the
            // store or the pipeline), never something else: a batch broken mid-transaction included.
            Assert.All(refusals.Where(r => r.At > killing), r => Assert.Equal(StatusCode.Unavailable, r.Code));
            var during = refusals.Where(r => r.At > killed && r.At < promoted.AddSeconds(1)).ToList();
            Assert.NotEmpty(during);
            var lastBefore = received.Values.Where(t => t <= killed).Max();
            var firstAfter = after.Min(r => r.Value);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"failover: {before} certificates before the kill, {after.Count} after the promotion; last success {(killed - lastBefore).TotalMilliseconds:0} ms before the kill, first success {(firstAfter - promoted).TotalMilliseconds:0} ms after pg_ctl promote returned ({(firstAfter - lastBefore).TotalSeconds:0.0} s without service, 1 s of it waiting on purpose); failed calls while down: {during.Count}, slowest {during.Max(r => r.Took).TotalMilliseconds:0} ms"));
        }
        finally
        {
            await DisposeAllAsync(daemons);
        }
    }

    [Fact]
    public async Task TwoAppliancesEachWithItsOwnHardwareKeyAreBothTrustedBySshdAndSsh()
    {
        using var cluster = PostgresCluster.Start();
        var passwordFile = cluster.WritePasswordFile(_dir.Path);
        var policy = $$"""
            {
              "roles": [
                { "name": "operators", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ],
                  "operator": ["tokens", "audit", "revoke", "rotate"],
                  "user": { "principals": ["{{SshdServer.User}}"] } },
                { "name": "hosts", "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
                  "host": { "names": ["*.shared.internal"], "validity": { "default": "30d", "max": "90d" } } }
              ]
            }
            """;
        Action<DaemonOptions> Appliance(string name) => o =>
        {
            o.ApplianceName = name;
            o.Postgres = new PostgresOptions { ConnectionString = cluster.ConnectionString, PasswordFile = passwordFile };
            o.Tls!.RequireClientCertificate = false;
        };

        // Each appliance on a token of its own: different user and host CA keys.
        await using var a = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.Ed25519, policy, configure: Appliance("a"));
        await using var b = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.EcdsaP256, policy, configure: Appliance("b"));
        var keysA = await a.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        var keysB = await b.SocketClient().GetCaPublicKeysAsync(new GetCaPublicKeysRequest());
        Assert.NotEqual(keysA.UserCaPublicKey, keysB.UserCaPublicKey);
        var trustA = await a.SocketClient().GetTrustSetAsync(new GetTrustSetRequest());
        var trustB = await b.SocketClient().GetTrustSetAsync(new GetTrustSetRequest());
        Assert.Equal(trustA.TrustSet, trustB.TrustSet);
        var set = Ssh.Trust.TrustSet.Parse(trustA.TrustSet.Span);
        Assert.Equal(2, set.Actives(Ssh.Certificates.SshCertificateType.User).Count);
        Assert.Equal(2, set.Actives(Ssh.Certificates.SshCertificateType.Host).Count);

        // A host bootstrapped through appliance a trusts both user CA keys; ssh trusts both host CA keys.
        using var fleetA = new Fleet(a, _dir);
        using var fleetB = new Fleet(b, _dir);
        var host = fleetA.Add("web1.shared.internal");
        var trusted = File.ReadAllText(Path.Combine(host.Etc, "ssh-hsm-ca-user-ca.pub"));
        Assert.Contains(Ssh.Keys.SshPublicKey.ParseLine(keysA.UserCaPublicKey).ToOpenSshLine(), trusted, StringComparison.Ordinal);
        Assert.Contains(Ssh.Keys.SshPublicKey.ParseLine(keysB.UserCaPublicKey).ToOpenSshLine(), trusted, StringComparison.Ordinal);
        var knownHosts = _dir.Write("known_hosts", Fleet.Ok(fleetB.Operator("ca", "known-hosts", "--hosts", "*.shared.internal"), "ca known-hosts").Stdout);
        Assert.Equal(2, File.ReadAllLines(knownHosts).Count(l => l.StartsWith("@cert-authority", StringComparison.Ordinal)));

        void LogsIn(Fleet fleet, string name)
        {
            var key = _dir.PathOf(name);
            Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", key]).ExitCode);
            Fleet.Ok(fleet.Operator("sign", key + ".pub"), "sign " + name);
            var ssh = ProcessRunner.Run(Tools.Ssh, Fleet.SshArguments(host, SshdServer.User, "-F", "/dev/null", "-o", $"UserKnownHostsFile={knownHosts}", "-o", "GlobalKnownHostsFile=/dev/null", "-o", $"IdentityFile={key}", "-o", $"CertificateFile={key}-cert.pub", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"), timeoutMs: 30_000);
            Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("login-ok", StringComparison.Ordinal), $"{name}: {ssh.Output}\n{host.Sshd.Log}");
        }

        LogsIn(fleetA, "id_from_a");
        LogsIn(fleetB, "id_from_b");

        // The host renews through appliance b: its certificate of a's host key is accepted, the new one is b's.
        Fleet.Ok(fleetB.Cli("host", "renew", "--ssh-dir", host.Etc, "--if-expires-within", "60d"), "host renew through b");
        host.Sshd.Reload();
        Assert.Equal(Ssh.Keys.SshPublicKey.ParseLine(keysB.HostCaPublicKey), Ssh.Certificates.SshCertificate.ParseLine(File.ReadAllText(Path.Combine(host.Etc, "ssh_host_ed25519_key-cert.pub"))).SignatureKey);
        LogsIn(fleetA, "id_after_renewal");
    }

    /// <summary>
    /// Issue 31: two appliances on one PostgreSQL store write one issuance log, each with its own
    /// Ed25519 log key and signer name and the same origin; once the log is quiet both have signed
    /// the same tree and the checkpoint carries both lines, which Go's note package verifies.
    /// </summary>
    [Fact]
    public async Task TwoAppliancesSignOneLogAndTheCheckpointCarriesBothSignatures()
    {
        using var cluster = PostgresCluster.Start();
        var passwordFile = cluster.WritePasswordFile(_dir.Path);
        var token = hsm.CreateToken("cosign");
        SoftHsm.Generate(token, Hsm.Pkcs11.CaKeyType.EcdsaP256, "user-ca", 1);
        SoftHsm.Generate(token, Hsm.Pkcs11.CaKeyType.EcdsaP256, "host-ca", 2);
        var keys = new[] { (Ssh.Keys.Ed25519PublicKey)SoftHsm.Generate(token, Hsm.Pkcs11.CaKeyType.Ed25519, "log-a", 3), (Ssh.Keys.Ed25519PublicKey)SoftHsm.Generate(token, Hsm.Pkcs11.CaKeyType.Ed25519, "log-b", 4) };
        var names = new[] { "ca-a.example.test", "ca-b.example.test" };
        var daemons = new List<DaemonUnderTest>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var n = i;
                daemons.Add(await DaemonUnderTest.StartAsync(SoftHsm.UserPin, pin => (
                    new CaKeyOptions { Uri = SoftHsm.Uri(token, "user-ca"), PinFile = pin },
                    new CaKeyOptions { Uri = SoftHsm.Uri(token, "host-ca"), PinFile = pin }), token, Policy, configure: o =>
                    {
                        o.Postgres = new PostgresOptions { ConnectionString = cluster.ConnectionString, PasswordFile = passwordFile };
                        o.ApplianceName = names[n];
                        o.Log = new CaDaemon.Transparency.LogOptions { Origin = "ca.example.test/log", SignerName = names[n], Key = new CaKeyOptions { Uri = SoftHsm.Uri(token, n == 0 ? "log-a" : "log-b"), PinFile = o.UserCa!.PinFile }, CheckpointSeconds = 1 };
                    }));
            }

            var key = File.ReadAllText(new SshdServerKeys(_dir).UserKey + ".pub");
            await Task.WhenAll(daemons.Select(d => Task.Run(async () =>
            {
                for (var i = 0; i < 10; i++)
                {
                    await d.SocketClient().SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = key });
                }
            })));

            // Quiet now: within a few periods both appliances have signed the head.
            var size = ulong.Parse(cluster.Sql("SELECT size FROM log_head;", "sshca"), CultureInfo.InvariantCulture);
            GetLogCheckpointResponse? both = null;
            for (var attempt = 0; attempt < 50 && both is null; attempt++)
            {
                await Task.Delay(200);
                var latest = await daemons[0].SocketClient().GetLogCheckpointAsync(new GetLogCheckpointRequest());
                if (latest.Size == size && latest.Sshsig.Count == 2)
                {
                    both = latest;
                }
            }

            Assert.True(both is not null, "no checkpoint signed by both appliances within 10 s");
            foreach (var (name, logKey) in names.Zip(keys))
            {
                Assert.Equal(SshHsmCa.Ssh.Transparency.SignedNote.Parse(both.Note).Text, SshHsmCa.Ssh.Transparency.SignedNote.Verify(both.Note, name, logKey));
            }

            var verifiers = string.Join(' ', names.Zip(keys).Select(p => SshHsmCa.Ssh.Transparency.SignedNote.VerifierKey(p.First, p.Second.PublicKey.Span)));
            var go = ProcessRunner.Run(GoVerifier.Build(_dir), [], stdin: System.Text.Encoding.UTF8.GetBytes($"note {verifiers.Split(' ')[0]} {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(both.Note))}\nnote {verifiers.Split(' ')[1]} {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(both.Note))}\n"), timeoutMs: 120_000);
            Assert.True(go.ExitCode == 0, go.Output);
            var clean = await daemons[1].SocketClient().VerifyLogAsync(new VerifyLogRequest());
            Assert.True(clean.Ok, string.Join("\n", clean.Problems));
        }
        finally
        {
            await DisposeAllAsync(daemons);
        }
    }

    private static async Task DisposeAllAsync(List<DaemonUnderTest> daemons)
    {
        foreach (var daemon in daemons)
        {
            await daemon.DisposeAsync();
        }
    }

    /// <summary>A user key and a host key made with ssh-keygen in the test's folder.</summary>
    private sealed class SshdServerKeys
    {
        public SshdServerKeys(TempDir dir)
        {
            UserKey = dir.PathOf("id_user");
            HostKey = dir.PathOf("host_key");
            foreach (var path in new[] { UserKey, HostKey })
            {
                if (!File.Exists(path))
                {
                    Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", path]).ExitCode);
                }
            }
        }

        public string UserKey { get; }

        public string HostKey { get; }
    }
}
