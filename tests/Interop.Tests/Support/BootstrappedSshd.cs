using System.Diagnostics;
using System.Globalization;
using System.Text;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// Debian's sshd on a configuration that includes the drop-in <c>ssh-hsm-ca host bootstrap</c>
/// wrote (host certificates, TrustedUserCAKeys, RevokedKeys), on a free loopback port, with its
/// host keys in a directory of its own; SIGHUP re-reads the drop-in and certificates.
/// </summary>
internal sealed class BootstrappedSshd : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly int _port;

    private BootstrappedSshd(Process process, int port)
    {
        _process = process;
        _port = port;
    }

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

    /// <summary>New ed25519 and ecdsa host keys in <paramref name="etc"/> (replacing any).</summary>
    public static void NewHostKeys(string etc)
    {
        foreach (var type in new[] { "ed25519", "ecdsa" })
        {
            var path = Path.Combine(etc, $"ssh_host_{type}_key");
            File.Delete(path);
            File.Delete(path + ".pub");
            Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", type, "-N", "", "-f", path]).ExitCode);
        }
    }

    /// <summary>sshd with the host keys of <paramref name="etc"/> and the drop-ins of <paramref name="dropIns"/>; its files named after <paramref name="name"/> in <paramref name="dir"/>.</summary>
    public static BootstrappedSshd Start(TempDir dir, string etc, string dropIns, int port, string name = "sshd")
    {
        ArgumentNullException.ThrowIfNull(dir);
        Directory.CreateDirectory("/run/sshd");
        var config = dir.Write(name + "_config", $"""
            Include {dropIns}/*.conf
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {etc}/ssh_host_ed25519_key
            HostKey {etc}/ssh_host_ecdsa_key
            AuthorizedKeysFile none
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            PidFile {dir.PathOf(name + ".pid")}
            LogLevel DEBUG1
            {OpenSsh.SshdConfigForTests}
            """);
        var check = ProcessRunner.Run(Tools.Sshd, ["-t", "-f", config]);
        Assert.True(check.ExitCode == 0, check.Output);
        var start = new ProcessStartInfo(Tools.Sshd) { ArgumentList = { "-D", "-e", "-f", config }, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var sshd = new BootstrappedSshd(Process.Start(start)!, port);
        sshd._process.ErrorDataReceived += (_, e) => { lock (sshd._log) { sshd._log.AppendLine(e.Data); } };
        sshd._process.OutputDataReceived += (_, e) => { lock (sshd._log) { sshd._log.AppendLine(e.Data); } };
        sshd._process.BeginErrorReadLine();
        sshd._process.BeginOutputReadLine();
        sshd.WaitListening();
        return sshd;
    }

    /// <summary>What <c>systemctl reload ssh</c> does: SIGHUP; sshd re-executes and listens again.</summary>
    public void Reload()
    {
        Assert.Equal(0, ProcessRunner.Run("/bin/kill", ["-HUP", _process.Id.ToString(CultureInfo.InvariantCulture)]).ExitCode);
        Thread.Sleep(300);
        WaitListening();
    }

    private void WaitListening()
    {
        for (var i = 0; i < 150; i++)
        {
            Assert.False(_process.HasExited, Log);
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                client.Connect(System.Net.IPAddress.Loopback, _port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException(Log);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }
}
