using System.Globalization;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Revocation end to end with Debian's sshd, ssh, ssh-keygen and curl, through the CLI as a
/// program: revoke by serial, key id, key and CA key; `krl --out` installs the signed KRL where
/// sshd's RevokedKeys reads it; a revoked user certificate is refused while another logs in; ssh's
/// RevokedHostKeys refuses a revoked host certificate; the publish listener serves the KRL and its
/// signature (ssh-keygen -Y verify accepts it) with ETags; tampered, badly signed and older KRLs
/// are refused and the installed file stays.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class RevocationTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-revocation-");

    public void Dispose() => _dir.Dispose();

    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 60_000);

    private static void Ok(ProcessRunner.Result result, string what) => Assert.True(result.ExitCode == 0, $"{what}: exit {result.ExitCode}\n{result.Output}");

    private async Task<(DaemonUnderTest Daemon, int PublishPort)> StartAsync()
    {
        var publishPort = Repository.FreePort();
        var daemon = await DaemonUnderTest.StartAsync(hsm, configure: o => o.Publish = new PublishOptions { Address = "127.0.0.1", Port = publishPort });
        return (daemon, publishPort);
    }

    /// <summary>A user key and a certificate for it from the CA over the operator socket; the key's path.</summary>
    private string IssueUser(DaemonUnderTest daemon, string name)
    {
        var key = _dir.PathOf(name);
        Ok(ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]), "ssh-keygen");
        Ok(Cli("--socket", daemon.SocketPath, "sign", "--request-id", name, key + ".pub"), "sign " + name);
        return key;
    }

    private static SshCertificate Certificate(string key) => SshCertificate.ParseLine(File.ReadAllText(key + "-cert.pub"));

    [Fact]
    public async Task RevocationsReachSshdAndSshThroughTheSignedKrl()
    {
        var (daemon, publishPort) = await StartAsync();
        await using var _ = daemon;
        var socket = daemon.SocketPath;
        var userCaFile = _dir.Write("user-ca.pub", Cli("--socket", socket, "ca", "keys").Stdout.Split('\n')[1] + "\n");
        var userCa = SshPublicKey.ParseLine(File.ReadAllText(userCaFile));
        var hostCa = SshPublicKey.ParseLine(Cli("--socket", socket, "ca", "known-hosts", "--hosts", SshdServer.HostAlias).Stdout.Split(' ', 3)[2]);
        var krl = _dir.PathOf("revoked.krl");
        Ok(Cli("--socket", socket, "krl", "--out", krl, "--signer", userCaFile), "krl (version 0)");
        Assert.Equal(0UL, SshKrl.Parse(File.ReadAllBytes(krl)).Version);

        // sshd with RevokedKeys = our KRL, and a host certificate from the CA (over the socket).
        await using var sshd = await SshdServer.StartAsync(userCa, async hostKey =>
        {
            var file = _dir.Write("host.pub", hostKey.ToOpenSshLine() + "\n");
            Ok(Cli("--socket", socket, "sign", "--host", "-n", SshdServer.HostAlias, file), "sign host");
            return SshCertificate.ParseLine(await File.ReadAllTextAsync(_dir.PathOf("host-cert.pub")));
        }, krl);

        var bySerial = IssueUser(daemon, "by-serial");
        var byKeyId = IssueUser(daemon, "by-key-id");
        var byKey = IssueUser(daemon, "by-key");
        var control = IssueUser(daemon, "control");
        foreach (var key in new[] { bySerial, byKeyId, byKey, control })
        {
            Ok(sshd.Login(key, key + "-cert.pub", hostCa), "login before any revocation with " + key);
        }

        // By serial (dry run first: nothing changes), by key id, by key.
        var dry = Cli("--socket", socket, "revoke", "--serial", Certificate(bySerial).Serial.ToString(CultureInfo.InvariantCulture), "--reason", "test", "--dry-run");
        Ok(dry, "dry run");
        Assert.Contains("nothing was written", dry.Stdout, StringComparison.Ordinal);
        Ok(Cli("--socket", socket, "revoke", "--serial", Certificate(bySerial).Serial.ToString(CultureInfo.InvariantCulture), "--reason", "laptop stolen"), "revoke serial");
        Ok(Cli("--socket", socket, "revoke", "--key-id", Certificate(byKeyId).KeyId, "--reason", "key id"), "revoke key id");
        Ok(Cli("--socket", socket, "revoke", "--key", byKey + ".pub", "--reason", "key copied"), "revoke key");
        var installed = Cli("--socket", socket, "krl", "--out", krl, "--signer", userCaFile);
        Ok(installed, "krl (version 3)");
        Assert.Contains("installed KRL version 3", installed.Stdout, StringComparison.Ordinal);
        foreach (var key in new[] { bySerial, byKeyId, byKey })
        {
            var refused = sshd.Login(key, key + "-cert.pub", hostCa);
            Assert.True(refused.ExitCode == 255, $"{key} logged in after its revocation: {refused.Output}\nsshd: {sshd.Log}");
        }

        Ok(sshd.Login(control, control + "-cert.pub", hostCa), "login with the certificate nobody revoked");
        Assert.Contains("revoked", sshd.Log, StringComparison.OrdinalIgnoreCase);

        // inspect and audit show say so; revocations lists them.
        var inspect = Cli("--socket", socket, "inspect", bySerial + "-cert.pub");
        Assert.Equal(1, inspect.ExitCode);
        Assert.Contains("Revocation: REVOKED (the CA's KRL version 3)", inspect.Stdout, StringComparison.Ordinal);
        Assert.Contains("Revocation: not revoked", Cli("--socket", socket, "inspect", control + "-cert.pub").Stdout, StringComparison.Ordinal);
        Assert.Contains("REVOKED by revocation", Cli("--socket", socket, "audit", "show", Certificate(bySerial).Serial.ToString(CultureInfo.InvariantCulture)).Stdout, StringComparison.Ordinal);
        var listed = Cli("--socket", socket, "revocations");
        Ok(listed, "revocations");
        Assert.Contains("\"laptop stolen\"", listed.Stdout, StringComparison.Ordinal);

        // The publish listener: the same KRL and a signature ssh-keygen -Y verify accepts; ETags.
        var url = $"https://127.0.0.1:{publishPort}";
        var fetched = _dir.PathOf("fetched.krl");
        var headers = _dir.PathOf("headers");
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-D", headers, "-o", fetched, url + "/krl"]), "curl /krl");
        Assert.Equal(File.ReadAllBytes(krl), File.ReadAllBytes(fetched));
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-o", fetched + ".sig", url + "/krl.sig"]), "curl /krl.sig");
        Assert.Equal("3", ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, url + "/krl.version"]).Stdout.Trim());
        var signers = _dir.Write("allowed_signers", "ssh-hsm-ca " + userCa.ToOpenSshLine() + "\n");
        Ok(ProcessRunner.Run(Tools.SshKeygen, ["-Y", "verify", "-f", signers, "-I", "ssh-hsm-ca", "-n", "krl@ssh-hsm-ca", "-s", fetched + ".sig"], stdin: File.ReadAllBytes(fetched)), "ssh-keygen -Y verify");
        var etag = File.ReadAllLines(headers).Single(l => l.StartsWith("etag:", StringComparison.OrdinalIgnoreCase))[5..].Trim();
        Assert.Equal("304", ProcessRunner.Run("/usr/bin/curl", ["-sS", "--cacert", daemon.ServerCaFile, "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: " + etag, url + "/krl"]).Stdout);
        Assert.Equal("404", ProcessRunner.Run("/usr/bin/curl", ["-sS", "--cacert", daemon.ServerCaFile, "-o", "/dev/null", "-w", "%{http_code}", url + "/metrics"]).Stdout);

        // ssh with RevokedHostKeys refuses the host once its certificate is revoked (host CA only).
        var hostKrl = _dir.PathOf("revoked-hosts.krl");
        Ok(Cli("--socket", socket, "krl", "--out", hostKrl, "--signer", userCaFile), "krl for ssh");
        Ok(sshd.Login(control, control + "-cert.pub", hostCa, revokedHostKeys: hostKrl), "login checking RevokedHostKeys");
        Ok(Cli("--socket", socket, "revoke", "--host", "--serial", sshd.HostCertificate.Serial.ToString(CultureInfo.InvariantCulture), "--reason", "host compromised"), "revoke host");
        Ok(Cli("--socket", socket, "krl", "--out", hostKrl, "--signer", userCaFile), "krl for ssh, again");
        var hostRefused = sshd.Login(control, control + "-cert.pub", hostCa, revokedHostKeys: hostKrl);
        Assert.Equal(255, hostRefused.ExitCode);
        Assert.Contains("revoked", hostRefused.Stderr, StringComparison.OrdinalIgnoreCase);

        // A whole CA key: every user certificate it signed is refused at once.
        Ok(Cli("--socket", socket, "revoke", "--user", "--ca-key", userCaFile, "--reason", "user CA key leaked"), "revoke CA key");
        Ok(Cli("--socket", socket, "krl", "--out", krl, "--signer", userCaFile), "krl after the CA key");
        Assert.Equal(255, sshd.Login(control, control + "-cert.pub", hostCa).ExitCode);
    }

    [Fact]
    public async Task KrlOutRefusesTamperedBadlySignedAndOlderKrlsAndKeepsTheInstalledOne()
    {
        var (daemon, publishPort) = await StartAsync();
        await using var _ = daemon;
        var socket = daemon.SocketPath;
        var userCaFile = _dir.Write("user-ca.pub", Cli("--socket", socket, "ca", "keys").Stdout.Split('\n')[1] + "\n");
        var url = $"https://127.0.0.1:{publishPort}";
        var key = IssueUser(daemon, "someone");
        Ok(Cli("--socket", socket, "revoke", "--serial", Certificate(key).Serial.ToString(CultureInfo.InvariantCulture), "--reason", "one"), "revoke");
        var v1 = _dir.PathOf("v1.krl");
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-o", v1, url + "/krl"]), "curl v1");
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-o", v1 + ".sig", url + "/krl.sig"]), "curl v1 sig");
        Ok(Cli("--socket", socket, "revoke", "--principal", SshdServer.User, "--reason", "two"), "revoke principal");
        var installed = _dir.PathOf("installed.krl");
        Ok(Cli("--socket", socket, "krl", "--out", installed, "--signer", userCaFile), "install v2");
        var v2 = File.ReadAllBytes(installed);
        Assert.Equal(2UL, SshKrl.Parse(v2).Version);

        // Older (a replayed v1, correctly signed): rollback refused, exit 5.
        var older = Cli("krl", "--out", installed, "--signer", userCaFile, "--from", v1, "--signature", v1 + ".sig");
        Assert.True(older.ExitCode == 5, older.Output);
        Assert.Contains("older", older.Stderr, StringComparison.Ordinal);
        Assert.Equal(v2, File.ReadAllBytes(installed));

        // Tampered: one byte of v2 changed, its signature kept: exit 4.
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-o", installed + ".sig", url + "/krl.sig"]), "curl v2 sig");
        var tampered = (byte[])v2.Clone();
        tampered[^1] ^= 0x01;
        var tamperedFile = _dir.Write("tampered.krl", string.Empty);
        File.WriteAllBytes(tamperedFile, tampered);
        var refused = Cli("krl", "--out", installed, "--signer", userCaFile, "--from", tamperedFile, "--signature", installed + ".sig");
        Assert.True(refused.ExitCode == 4, refused.Output);
        Assert.Equal(v2, File.ReadAllBytes(installed));

        // Signed by another key (in our namespace): exit 4.
        var rogue = _dir.PathOf("rogue");
        Ok(ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", rogue]), "rogue key");
        var forged = _dir.PathOf("forged.krl");
        File.WriteAllBytes(forged, tampered);
        Ok(ProcessRunner.Run(Tools.SshKeygen, ["-q", "-Y", "sign", "-n", "krl@ssh-hsm-ca", "-f", rogue, forged]), "rogue signature");
        Assert.Equal(4, Cli("krl", "--out", installed, "--signer", userCaFile, "--from", forged, "--signature", forged + ".sig").ExitCode);
        Assert.Equal(v2, File.ReadAllBytes(installed));

        // No signature at all is a usage error, before anything is read.
        Assert.Equal(2, Cli("krl", "--out", installed, "--signer", userCaFile, "--from", v1).ExitCode);

        // A link in place of the output: replaced by the file, its target untouched.
        var victim = _dir.Write("victim", "do not touch\n");
        var linked = _dir.PathOf("linked.krl");
        File.CreateSymbolicLink(linked, victim);
        Ok(Cli("--socket", socket, "krl", "--out", linked, "--signer", userCaFile), "install over a link");
        Assert.Equal("do not touch\n", File.ReadAllText(victim));
        Assert.Null(new FileInfo(linked).LinkTarget);
        Assert.Equal(v2, File.ReadAllBytes(linked));

        // The same version again: nothing written.
        var current = Cli("--socket", socket, "krl", "--out", installed, "--signer", userCaFile);
        Ok(current, "krl when current");
        Assert.Contains("is installed and current", current.Stdout, StringComparison.Ordinal);
    }
}
