using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 26, defects 3 and 5: /metrics only on the metrics listener and /krl* only on the publish
/// listener, whatever the path's letter case, a trailing slash or a percent-encoding: the gate
/// decides by the endpoint routing matched, which routing matches case-insensitively. Every
/// listener is asked with curl over real TLS (HTTP/2), the Unix socket and plain HTTP. On main of
/// 2026-12-07, /METRICS and /Metrics answered every metric family on the TLS listener and the
/// socket, and /KRL, /krl/ and /Krl.sig answered the KRL on the TLS listener.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class ListenerGateTests(SoftHsm hsm)
{
    private static readonly string[] MetricsPaths = ["/metrics", "/METRICS", "/Metrics", "/metrics/", "/%6Detrics", "/%6detrics", "/METRICS/"];
    private static readonly string[] KrlPaths = ["/krl", "/KRL", "/Krl", "/krl/", "/Krl.sig", "/KRL.SIG", "/krl.Version", "/%6Brl", "/krl.sig/"];

    private static (int Status, string Body) Get(string[] how, string url)
    {
        var result = ProcessRunner.Run("/usr/bin/curl", ["-sS", "--max-time", "20", "--path-as-is", "-o", "-", "-w", "\n%{http_code}", .. how, url]);
        Assert.True(result.ExitCode == 0, $"curl {url}: exit {result.ExitCode}\n{result.Output}");
        var cut = result.Stdout.LastIndexOf('\n');
        return (int.Parse(result.Stdout[(cut + 1)..], System.Globalization.CultureInfo.InvariantCulture), result.Stdout[..cut]);
    }

    [Fact]
    public async Task MetricsAndKrlAnswerOnlyOnTheirOwnListenerInEveryLetterCase()
    {
        var publishPort = Repository.FreePort();
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o =>
        {
            o.Tls!.RequireClientCertificate = false;
            o.Publish = new PublishOptions { Address = "127.0.0.1", Port = publishPort };
        });
        var tls = (How: new[] { "--http2", "--cacert", daemon.ServerCaFile }, Base: $"https://127.0.0.1:{daemon.Port}");
        var socket = (How: new[] { "--http2-prior-knowledge", "--unix-socket", daemon.SocketPath }, Base: "http://localhost");
        var publish = (How: new[] { "--cacert", daemon.ServerCaFile }, Base: $"https://127.0.0.1:{publishPort}");
        var metrics = (How: Array.Empty<string>(), Base: $"http://127.0.0.1:{daemon.Options.Metrics!.Port}");

        // What each listener is for still works.
        Assert.Contains("sshhsmca_", Get(metrics.How, metrics.Base + "/metrics").Body, StringComparison.Ordinal);
        Assert.Equal(200, Get(publish.How, publish.Base + "/krl").Status);

        foreach (var path in MetricsPaths)
        {
            foreach (var (name, how, root) in new[] { ("TLS", tls.How, tls.Base), ("socket", socket.How, socket.Base), ("publish", publish.How, publish.Base) })
            {
                var (status, body) = Get(how, root + path);
                Assert.True(status != 200 && !body.Contains("sshhsmca_", StringComparison.Ordinal), $"{path} on the {name} listener answered {status}: {body[..Math.Min(body.Length, 200)]}");
            }
        }

        foreach (var path in KrlPaths)
        {
            foreach (var (name, how, root) in new[] { ("TLS", tls.How, tls.Base), ("socket", socket.How, socket.Base), ("metrics", metrics.How, metrics.Base) })
            {
                var (status, body) = Get(how, root + path);
                Assert.True(status != 200 && !body.Contains("SSHKRL", StringComparison.Ordinal) && !body.Contains("BEGIN SSH SIGNATURE", StringComparison.Ordinal), $"{path} on the {name} listener answered {status}: {body[..Math.Min(body.Length, 200)]}");
            }
        }

        // The publish listener serves the KRL and nothing of the API: health, reflection, a gRPC method.
        foreach (var path in new[] { "/grpc.health.v1.Health/Check", "/sshhsmca.v1.CertificateAuthorityService/GetKrl", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" })
        {
            Assert.Equal(404, Get(publish.How, publish.Base + path).Status);
            Assert.Equal(404, Get(metrics.How, metrics.Base + path).Status);
        }
    }
}
