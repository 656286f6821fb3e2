using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>Issue 13's CLI defects (9, 10, 12, 13, 14), each as the attacker tried it.</summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public class CliAttackTests(SoftHsm hsm)
{
    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 60_000);

    private static void AssertNoStackTrace(ProcessRunner.Result result)
    {
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Output, StringComparison.Ordinal);
        Assert.InRange(result.ExitCode, 1, 3);
    }

    private static string NewKey(TempDir dir, string name) => NewKey(dir.PathOf(name));

    private static string NewKey(string key)
    {
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "me", "-f", key]).ExitCode);
        return key;
    }

    /// <summary>Defect 9: sign replaces a symlink at the certificate's path, never writes through it.</summary>
    [Fact]
    public async Task SignNeverWritesThroughASymlink()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var dir = new TempDir("sshhsmca-cli-");
        var key = NewKey(dir, "userkey");
        var victim = dir.Write("victim", "precious\n");
        File.CreateSymbolicLink(key + "-cert.pub", victim);

        var signed = Cli("--socket", daemon.SocketPath, "sign", key + ".pub");
        Assert.True(signed.ExitCode == 0, signed.Output);
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Null(new FileInfo(key + "-cert.pub").LinkTarget);
        Assert.StartsWith("ssh-ed25519-cert-v01@openssh.com ", File.ReadAllText(key + "-cert.pub"), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
    }

    /// <summary>Defect 10: hostile files get a message and exit 1 or 2, never a crash.</summary>
    [Fact]
    public void HostileFilesGetAMessageNotACrash()
    {
        using var dir = new TempDir("sshhsmca-cli-");

        // A certificate valid until 0xfffffffffffffffe (the CA key is ours, made here).
        var ca = NewKey(dir, "ca");
        var user = NewKey(dir, "user");
        Assert.Equal(0, ProcessRunner.Run(Tools.SshKeygen, ["-q", "-s", ca, "-I", "far", "-n", "me", "-V", "20200101:0xfffffffffffffffe", user + ".pub"]).ExitCode);
        var far = Cli("inspect", user + "-cert.pub");
        Assert.True(far.ExitCode == 0, far.Output);
        Assert.Contains("Time left: more than 100 years", far.Stdout, StringComparison.Ordinal);

        var zero = Cli("inspect", "/dev/zero");
        AssertNoStackTrace(zero);
        Assert.Contains("/dev/zero", zero.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(Cli("inspect", dir.Path));
        AssertNoStackTrace(Cli("inspect", dir.Write("garbage", "ssh-ed25519-cert-v01@openssh.com AAAA\n")));

        var batch = dir.Write("hosts.txt", ",, " + File.ReadAllText(user + ".pub"));
        var odd = Cli("--socket", dir.PathOf("none.sock"), "host", "sign-batch", batch);
        AssertNoStackTrace(odd);
        Assert.Equal(2, odd.ExitCode);
        Assert.Contains("hosts.txt:1", odd.Stderr, StringComparison.Ordinal);

        var traversal = dir.Write("escape.txt", "../../etc/evil " + File.ReadAllText(user + ".pub"));
        Assert.Equal(2, Cli("--socket", dir.PathOf("none.sock"), "host", "sign-batch", traversal).ExitCode);
    }

    /// <summary>Defect 12: two lines for one host are refused before anything is signed.</summary>
    [Fact]
    public async Task ABatchWithADuplicateHostSignsNothing()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: $$"""
            { "roles": [ { "name": "ops", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ], "operator": ["batch", "audit"], "host": { "names": ["*.batch.test"] } } ] }
            """);
        using var dir = new TempDir("sshhsmca-cli-");
        var a = File.ReadAllText(NewKey(dir, "a") + ".pub");
        var b = File.ReadAllText(NewKey(dir, "b") + ".pub");
        var list = dir.Write("hosts.txt", $"one.batch.test {a}two.batch.test {b}one.batch.test,alias.batch.test {b}");
        var result = Cli("--socket", daemon.SocketPath, "host", "sign-batch", list, "--out", dir.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("hosts.txt:1 and ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("hosts.txt:3", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.PathOf("one.batch.test-cert.pub")));
        Assert.Empty((await daemon.SocketClient().ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    /// <summary>Defect 13: inspect vouches only for what this CA signed and recorded, byte for byte.</summary>
    [Fact]
    public async Task InspectDoesNotVouchForAForgedCertificate()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var dir = new TempDir("sshhsmca-cli-");
        var key = NewKey(dir, "id");
        Assert.Equal(0, Cli("--socket", daemon.SocketPath, "sign", key + ".pub").ExitCode);
        var genuine = Cli("--socket", daemon.SocketPath, "inspect", key + "-cert.pub");
        Assert.True(genuine.ExitCode == 0, genuine.Output);
        Assert.Contains("Issued by this CA: yes", genuine.Stdout, StringComparison.Ordinal);

        // One principal changed: ssh-keygen says "incorrect signature"; so do we, and exit 1.
        var fields = File.ReadAllText(key + "-cert.pub").Split(' ');
        var blob = Convert.FromBase64String(fields[1]);
        var principal = System.Text.Encoding.ASCII.GetBytes(SshdServer.User);
        var at = blob.AsSpan().IndexOf(principal);
        Assert.True(at > 0);
        blob[at] ^= 0x01;
        var forged = dir.Write("forged-cert.pub", $"{fields[0]} {Convert.ToBase64String(blob)}\n");
        var keygen = ProcessRunner.Run(Tools.SshKeygen, ["-L", "-f", forged]);
        Assert.Contains("incorrect signature", keygen.Output, StringComparison.Ordinal);
        var inspect = Cli("--socket", daemon.SocketPath, "inspect", forged);
        Assert.Equal(1, inspect.ExitCode);
        Assert.DoesNotContain("Issued by this CA: yes", inspect.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Defect 14: "host token NAME > FILE" is a token file, and a token file holds one token or is refused by name.</summary>
    [Fact]
    public async Task TheTokenAloneGoesToStdoutAndTokenFilesAreReadStrictly()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm, policy: $$"""
            { "roles": [
              { "name": "ops", "match": [ { "unix": { "users": ["{{SshdServer.User}}"] } } ], "operator": ["tokens"] },
              { "name": "hosts", "match": [ { "bootstrap": true } ], "host": { "names": ["web-01.example.internal"] } } ] }
            """, configure: o => o.Tls!.RequireClientCertificate = false);
        using var dir = new TempDir("sshhsmca-cli-");
        var token = Cli("--socket", daemon.SocketPath, "host", "token", "web-01.example.internal");
        Assert.True(token.ExitCode == 0, token.Output);
        Assert.Matches(@"^shcbt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$", token.Stdout);
        Assert.Contains("One use, for web-01.example.internal", token.Stderr, StringComparison.Ordinal);

        var sshDir = Directory.CreateDirectory(dir.PathOf("ssh")).FullName;
        NewKey(Path.Combine(sshDir, "ssh_host_ed25519_key"));
        var tokenFile = dir.Write("token", token.Stdout);
        var connection = new[] { "--server", $"https://127.0.0.1:{daemon.Port}", "--server-ca", daemon.ServerCaFile };

        // A token file with anything else in it is refused naming the file; nothing is called.
        var noisy = dir.Write("noisy", token.Stdout + "# one use, for web-01\n");
        var refused = Cli([.. connection, "host", "bootstrap", "--token-file", noisy, "--ssh-dir", sshDir, "--sshd-config-dir", dir.PathOf("sshd")]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(noisy, refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("PROTOCOL_ERROR", refused.Output, StringComparison.Ordinal);
        var control = Cli([.. connection, "host", "bootstrap", "--token", "shcbt_x\u0001", "--ssh-dir", sshDir, "--sshd-config-dir", dir.PathOf("sshd")]);
        Assert.Equal(2, control.ExitCode);

        var bootstrapped = Cli([.. connection, "host", "bootstrap", "--token-file", tokenFile, "--ssh-dir", sshDir, "--sshd-config-dir", dir.PathOf("sshd")]);
        Assert.True(bootstrapped.ExitCode == 0, bootstrapped.Output);
        Assert.True(File.Exists(Path.Combine(sshDir, "ssh_host_ed25519_key-cert.pub")));
    }
}
