using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using SshHsmCa.CaDaemon.Hosting;
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
public sealed class SharedStoreTests(SoftHsm hsm) : IDisposable
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

    private static async Task<List<DaemonUnderTest>> StartThreeAsync(SoftHsm hsm, PostgresCluster cluster, string passwordFile)
    {
        void Shared(DaemonOptions o)
        {
            o.Postgres = new PostgresOptions { ConnectionString = cluster.ConnectionString, PasswordFile = passwordFile };
            o.Tls!.RequireClientCertificate = false;
        }

        var first = await DaemonUnderTest.StartAsync(hsm, Hsm.Pkcs11.CaKeyType.EcdsaP256, Policy, configure: Shared);
        var daemons = new List<DaemonUnderTest> { first };
        for (var i = 0; i < 2; i++)
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
        }
        finally
        {
            foreach (var daemon in daemons)
            {
                await daemon.DisposeAsync();
            }
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

        Assert.Equal("1", cluster.Sql("SELECT version FROM schema_version;", "sshca"));
        var wrong = _dir.Write("wrong-password", "not-the-password\n");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => DaemonUnderTest.StartAsync(hsm, configure: o => o.Postgres = new PostgresOptions { ConnectionString = cluster.ConnectionString, PasswordFile = wrong }));
        Assert.Contains("PostgreSQL audit store could not be opened", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Password, refused.Message, StringComparison.Ordinal);
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
