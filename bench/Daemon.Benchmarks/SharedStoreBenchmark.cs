using System.Globalization;
using Microsoft.Extensions.Logging;
using SshHsmCa.Benchmarks.Shared;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Daemon.Benchmarks;

/// <summary>
/// The audit store under load (issue 18): one daemon on SQLite beside 1, 2 and 3 daemons on one
/// PostgreSQL database (a cluster of Debian's PostgreSQL made here, fsync on), without and with a
/// synchronous streaming standby, P-256 CA key on SoftHSM2; the callers spread over the daemons.
/// Every daemon, the callers, PostgreSQL and SoftHSM share this machine's cores.
/// </summary>
internal static class SharedStoreBenchmark
{
    public static async Task RunAsync(string dir, Func<string, int, string, DaemonOptions> options, double seconds)
    {
        Console.WriteLine($"Audit store under load, P-256 on SoftHSM2, mTLS on loopback, {seconds} s per cell, {Environment.ProcessorCount} cores shared by callers, daemons, PostgreSQL and SoftHSM");
        Console.WriteLine("| store | daemons | concurrency | certificates/s | p50 ms | p99 ms | errors | commits per write |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        await RowAsync("SQLite", 1, _ => { }, dir, options, seconds);
        foreach (var synchronous in new[] { false, true })
        {
            using var primary = PostgresCluster.Start();
            using var standby = synchronous ? primary.StartStandby() : null;
            if (synchronous)
            {
                primary.RequireSynchronousStandby();
            }

            var passwordFile = primary.WritePasswordFile(dir);
            foreach (var daemons in new[] { 1, 2, 3 })
            {
                await RowAsync(synchronous ? "PostgreSQL + synchronous standby" : "PostgreSQL", daemons,
                    o => o.Postgres = new PostgresOptions { ConnectionString = primary.ConnectionString, PasswordFile = passwordFile }, dir, options, seconds);
            }
        }
    }

    /// <summary>The group commits of every daemon's audit store so far, and the writes they carried.</summary>
    private static (long Commits, long Writes) Commits(List<Microsoft.AspNetCore.Builder.WebApplication> apps)
    {
        var stores = apps.Select(a => (CaDaemon.Audit.SqlAuditStore)a.Services.GetService(typeof(CaDaemon.Audit.IAuditStore))!).ToList();
        return (stores.Sum(s => s.Commits), stores.Sum(s => s.CommittedWrites));
    }

    private static async Task RowAsync(string store, int count, Action<DaemonOptions> configure, string dir, Func<string, int, string, DaemonOptions> options, double seconds)
    {
        var apps = new List<Microsoft.AspNetCore.Builder.WebApplication>();
        try
        {
            var clients = new List<CertificateAuthorityService.CertificateAuthorityServiceClient>();
            for (var i = 0; i < count; i++)
            {
                var port = Program.FreePort();
                var o = options("p256", port, $"audit-shared-{Guid.NewGuid():N}.db");
                configure(o);
                var app = DaemonHost.Build(o, [], logging => logging.SetMinimumLevel(LogLevel.Warning));
                await app.StartAsync();
                apps.Add(app);
                clients.Add(DevClients.Tls(dir, port));
            }

            var request = new SignUserCertificateRequest { PublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg1 load" };
            foreach (var client in clients)
            {
                await client.SignUserCertificateAsync(request); // warm up TLS and JIT
            }

            foreach (var concurrency in new[] { 1, 16, 64 })
            {
                var before = Commits(apps);
                var (rate, latencies, errors) = await Program.LoadAsync(clients, request, concurrency, seconds);
                var after = Commits(apps);
                latencies.Sort();
                var perCertificate = after.Writes == before.Writes ? "–" : ((double)(after.Commits - before.Commits) / (after.Writes - before.Writes)).ToString("0.000", CultureInfo.InvariantCulture);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {store} | {count} | {concurrency} | {rate:0} | {Program.P(latencies, 0.5):0.00} | {Program.P(latencies, 0.99):0.00} | {errors} | {perCertificate} |"));
            }
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
    }
}
