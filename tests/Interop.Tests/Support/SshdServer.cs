using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SshHsmCa.Tests.Shared;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// Debian's sshd on a free loopback port with a configuration of its own: it trusts a user CA
/// key (<c>TrustedUserCAKeys</c>) and presents a host key with a host certificate signed by a
/// host CA. <see cref="Login"/> runs Debian's ssh with an empty known_hosts apart from a
/// <c>@cert-authority</c> line, <c>StrictHostKeyChecking=yes</c> and <c>BatchMode=yes</c> (so any
/// prompt is a failure). Everything lives in a temporary folder; the daemon is killed on dispose.
/// </summary>
public sealed class SshdServer : IAsyncDisposable
{
    public const string HostAlias = "ca-test-host.internal";

    private readonly TempDir _dir;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private SshdServer(TempDir dir, Process process, int port, SshCertificate hostCertificate)
    {
        _dir = dir;
        _process = process;
        Port = port;
        HostCertificate = hostCertificate;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public SshCertificate HostCertificate { get; }

    /// <summary>The login name the tests use: the user running them (root in CI).</summary>
    public static string User => Environment.UserName;

    /// <summary>What sshd has logged so far (LogLevel VERBOSE, on stderr).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts sshd trusting <paramref name="userCa"/>, with a host certificate from <paramref name="signHostCertificate"/>.</summary>
    public static async Task<SshdServer> StartAsync(SshPublicKey userCa, Func<SshPublicKey, Task<SshCertificate>> signHostCertificate, string? revokedKeys = null)
    {
        Tools.Require(Tools.Sshd);
        var dir = new TempDir("sshhsmca-sshd-");
        try
        {
            var keygen = Tools.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f", dir.PathOf("host_ed25519_key")]);
            Assert.True(keygen.ExitCode == 0, keygen.Output);
            var hostKey = SshPublicKey.ParseLine(File.ReadAllText(dir.PathOf("host_ed25519_key.pub")));
            var hostCertificate = await signHostCertificate(hostKey);
            dir.Write("host_ed25519_key-cert.pub", hostCertificate.ToOpenSshLine() + "\n");
            dir.Write("user_ca.pub", userCa.ToOpenSshLine("user-ca") + "\n");

            // sshd's privilege separation directory; Debian creates it from the init script.
            Directory.CreateDirectory("/run/sshd");
            var port = Repository.FreePort();
            var config = dir.Write("sshd_config", $"""
                Port {port}
                ListenAddress 127.0.0.1
                HostKey {dir.PathOf("host_ed25519_key")}
                HostCertificate {dir.PathOf("host_ed25519_key-cert.pub")}
                TrustedUserCAKeys {dir.PathOf("user_ca.pub")}
                AuthorizedKeysFile none
                AuthorizedPrincipalsFile none
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PermitRootLogin prohibit-password
                PidFile {dir.PathOf("sshd.pid")}
                LogLevel DEBUG1
                MaxStartups 100
                {(revokedKeys is null ? string.Empty : "RevokedKeys " + revokedKeys)}
                {OpenSsh.SshdConfigForTests}
                """);

            var check = Tools.Run(Tools.Sshd, ["-t", "-f", config]);
            Assert.True(check.ExitCode == 0, $"sshd -t refused the test configuration: {check.Output}");

            var start = new ProcessStartInfo(Tools.Sshd)
            {
                ArgumentList = { "-D", "-e", "-f", config },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var process = Process.Start(start)!;
            var server = new SshdServer(dir, process, port, hostCertificate);
            await server.WaitUntilListeningAsync();
            return server;
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Logs in as <see cref="User"/> with a private key file and its certificate, trusting only
    /// <paramref name="hostCa"/> for the host (a <c>@cert-authority</c> line), and runs <c>echo</c>.
    /// </summary>
    internal ProcessRunner.Result Login(string privateKeyPath, string certificatePath, SshPublicKey hostCa, string? user = null, string? revokedHostKeys = null) =>
        Ssh(hostCa, user ?? User,
        [
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", $"IdentityFile={privateKeyPath}",
            "-o", $"CertificateFile={certificatePath}",
            .. (revokedHostKeys is null ? Array.Empty<string>() : ["-o", "RevokedHostKeys=" + revokedHostKeys]),
        ]);

    /// <summary>Logs in as <see cref="User"/> with what ssh-agent at <paramref name="agentSocket"/> holds, and runs <c>echo</c>.</summary>
    internal ProcessRunner.Result LoginWithAgent(string agentSocket, SshPublicKey hostCa) =>
        Ssh(hostCa, User, ["-o", $"IdentityAgent={agentSocket}", "-o", "IdentityFile=none"]);

    /// <summary>A fresh user key pair (ssh-keygen) in the server's folder; returns the private key path.</summary>
    public string NewUserKey(string name)
    {
        var path = _dir.PathOf(name);
        var keygen = Tools.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]);
        Assert.True(keygen.ExitCode == 0, keygen.Output);
        return path;
    }

    /// <summary>Writes a certificate next to its key, where ssh would look for it.</summary>
    public string WriteCertificate(string name, SshCertificate certificate) => _dir.Write(name, certificate.ToOpenSshLine() + "\n");

    /// <summary>ssh to this server as <paramref name="user"/> with strict host checking against <paramref name="hostCa"/> alone, running <c>echo login-ok</c>.</summary>
    private ProcessRunner.Result Ssh(SshPublicKey hostCa, string user, string[] identity)
    {
        var knownHosts = _dir.Write($"known_hosts-{Guid.NewGuid():N}", $"@cert-authority {HostAlias} {hostCa.ToOpenSshLine("host-ca")}\n");
        return Tools.Run(Tools.Ssh,
        [
            "-F", "/dev/null",
            "-o", $"UserKnownHostsFile={knownHosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", $"HostKeyAlias={HostAlias}",
            "-o", "BatchMode=yes",
            .. identity,
            "-o", "PasswordAuthentication=no",
            "-o", "ConnectTimeout=10",
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"{user}@127.0.0.1",
            "echo", "login-ok",
        ], timeoutMs: 30_000);
    }

    private async Task WaitUntilListeningAsync()
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"sshd exited with {_process.ExitCode}: {Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"sshd did not listen on 127.0.0.1:{Port} within 15 s: {Log}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Dispose();
    }
}
