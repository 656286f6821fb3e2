using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 26, defect 4: a TLS HTTP/2 server that accepts every call and never answers. On main of
/// 2026-12-07, <c>krl --out</c> and <c>host renew</c> waited forever (and the oneshot units had no
/// TimeoutStartSec, so their timers never fired again). Now every call has a deadline: exit 3,
/// a sentence that names the CA and the deadline, and the installed files byte for byte as they were.
/// </summary>
public sealed class CliDeadlineTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-deadline-");
    private readonly TestPki _pki = new("silent");
    private WebApplication? _silent;
    private int _port;
    private int _calls;

    public async Task InitializeAsync()
    {
        using var server = _pki.Issue("CN=127.0.0.1", server: true);
        TestPki.WritePem(server, _dir.PathOf("server.pem"), _dir.PathOf("server.key"));
        TestPki.WritePem(_pki.Ca, _dir.PathOf("ca.pem"), null);
        _port = Repository.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _port, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(_dir.PathOf("server.pem"), _dir.PathOf("server.key")));
        }));
        _silent = builder.Build();
        _silent.Run(async context =>
        {
            // Accept the call, send nothing, hold it open until the client goes away.
            Interlocked.Increment(ref _calls);
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        await _silent.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_silent is not null)
        {
            await _silent.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _dir.Dispose();
        _pki.Dispose();
    }

    private ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{_port}", "--server-ca", _dir.PathOf("ca.pem"), .. arguments], timeoutMs: 90_000);

    [Fact]
    public void KrlAndHostRenewGiveUpWithExit3AndLeaveTheFilesAsTheyWere()
    {
        var key = _dir.PathOf("ca-key");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", key]).ExitCode);
        var signers = _dir.Write("user-ca.pub", File.ReadAllText(key + ".pub"));
        var krl = _dir.PathOf("revoked.krl");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-k", "-f", krl, "-z", "3", key + ".pub"]).ExitCode);
        var before = File.ReadAllBytes(krl);

        var result = Cli("--timeout", "3s", "krl", "--out", krl, "--signer", signers);
        Assert.True(result.ExitCode == 3, result.Output);
        Assert.Contains($"https://127.0.0.1:{_port} did not answer within", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(krl));

        // host renew, with the deadline from the environment variable the units can set.
        var sshDir = Directory.CreateDirectory(_dir.PathOf("ssh")).FullName;
        var hostKey = Path.Combine(sshDir, "ssh_host_ed25519_key");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]).ExitCode);
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-s", key, "-h", "-I", "host", "-n", "h.example", "-V", "+1d", hostKey + ".pub"]).ExitCode);
        var certificate = File.ReadAllBytes(hostKey + "-cert.pub");
        var renew = ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), "--server", $"https://127.0.0.1:{_port}", "--server-ca", _dir.PathOf("ca.pem"), "host", "renew", "--ssh-dir", sshDir],
            new Dictionary<string, string> { ["SSH_HSM_CA_TIMEOUT"] = "2s" }, timeoutMs: 90_000);
        Assert.True(renew.ExitCode == 3, renew.Output);
        Assert.Contains("did not answer within 2s", renew.Stderr, StringComparison.Ordinal);
        Assert.Equal(certificate, File.ReadAllBytes(hostKey + "-cert.pub"));
        Assert.True(Volatile.Read(ref _calls) >= 2, $"the silent server saw {_calls} calls");

        // A deadline of nothing is a usage error, not an endless wait.
        Assert.Equal(2, Cli("--timeout", "0s", "krl", "--out", krl, "--signer", signers).ExitCode);
    }

    [Theory]
    [InlineData("ssh-hsm-ca-krl.service")]
    [InlineData("ssh-hsm-ca-renew.service")]
    public void TheTimersOneshotUnitsAreBoundedInTime(string unit)
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "systemd", unit));
        Assert.Contains(lines, l => l.StartsWith("TimeoutStartSec=", StringComparison.Ordinal) && l != "TimeoutStartSec=infinity" && l != "TimeoutStartSec=0");
    }
}
