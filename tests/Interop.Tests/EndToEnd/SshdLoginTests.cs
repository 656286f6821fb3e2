using SshHsmCa.Tests.Shared;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// End to end with Debian's sshd and ssh: for each CA key type on SoftHSM, a user certificate
/// signed through the backend logs in to an sshd whose host certificate was signed through the
/// backend too, with strict host key checking and no prompt; the wrong principal, an expired
/// certificate and an untrusted CA are refused.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public class SshdLoginTests(SoftHsm hsm)
{
    /// <summary>The CA key types of <see cref="Pkcs11CaKeyTests.KeyTypes"/> that sign with their default algorithm.</summary>
    public static TheoryData<CaKeyType, string> KeyTypes
    {
        get
        {
            var data = new TheoryData<CaKeyType, string>();
            foreach (var row in Pkcs11CaKeyTests.KeyTypes)
            {
                if ((string)row[1] != SshSignatureAlgorithms.RsaSha256)
                {
                    data.Add((CaKeyType)row[0], (string)row[1]);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task HsmSignedCertificatesLogInAndBadOnesAreRefused(CaKeyType type, string algorithm)
    {
        var token = hsm.CreateToken("sshd");
        SoftHsm.Generate(token, type, "user-ca", 1);
        SoftHsm.Generate(token, type, "host-ca", 2);
        SoftHsm.Generate(token, type, "rogue-ca", 3);
        await using var userCa = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "user-ca") }, SoftHsm.Pin);
        await using var hostCa = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "host-ca") }, SoftHsm.Pin);
        await using var rogueCa = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "rogue-ca") }, SoftHsm.Pin);
        var now = TestCertificates.Now;

        await using var sshd = await SshdServer.StartAsync(userCa.PublicKey, hostKey =>
            TestCertificates.SignAsync(hostCa, hostKey, SshCertificateType.Host, [SshdServer.HostAlias], now - 60, now + 3600));
        Assert.Equal(algorithm, sshd.HostCertificate.Signature.Algorithm);

        var key = sshd.NewUserKey("id_user");
        var subject = SshPublicKey.ParseLine(File.ReadAllText(key + ".pub"));

        // Accepted: the right principal, valid now, signed by the trusted user CA.
        var good = await TestCertificates.SignAsync(userCa, subject, SshCertificateType.User, [SshdServer.User], now - 60, now + 600);
        Assert.Equal(algorithm, good.Signature.Algorithm);
        var login = sshd.Login(key, sshd.WriteCertificate("good-cert.pub", good), hostCa.PublicKey);
        Assert.True(login.ExitCode == 0, $"login failed: {login.Output}\nsshd: {sshd.Log}");
        Assert.Equal("login-ok", login.Stdout.Trim());
        Assert.Contains($"Accepted certificate ID \"{good.KeyId}\" (serial {good.Serial})", sshd.Log, StringComparison.Ordinal);

        // Refused: a certificate for another principal.
        var other = await TestCertificates.SignAsync(userCa, subject, SshCertificateType.User, ["someone-else"], now - 60, now + 600);
        AssertRefused(sshd.Login(key, sshd.WriteCertificate("other-cert.pub", other), hostCa.PublicKey), sshd, other, "Certificate invalid: name is not a listed principal");

        // Refused: expired.
        var expired = await TestCertificates.SignAsync(userCa, subject, SshCertificateType.User, [SshdServer.User], now - 7200, now - 3600);
        AssertRefused(sshd.Login(key, sshd.WriteCertificate("expired-cert.pub", expired), hostCa.PublicKey), sshd, expired, "Certificate invalid: expired");

        // Refused: signed by a key that sshd does not trust (sshd names no reason, only the failure).
        var rogue = await TestCertificates.SignAsync(rogueCa, subject, SshCertificateType.User, [SshdServer.User], now - 60, now + 600);
        AssertRefused(sshd.Login(key, sshd.WriteCertificate("rogue-cert.pub", rogue), hostCa.PublicKey), sshd, rogue, reason: null);

        // And the client refuses the host when it trusts another host CA: no prompt, no login.
        var wrongHostCa = sshd.Login(key, sshd.WriteCertificate("good2-cert.pub", good), rogueCa.PublicKey);
        Assert.Equal(255, wrongHostCa.ExitCode);
        Assert.Contains("Host key verification failed", wrongHostCa.Stderr, StringComparison.Ordinal);
    }

    private static void AssertRefused(ProcessRunner.Result login, SshdServer sshd, SshCertificate certificate, string? reason)
    {
        Assert.Equal(255, login.ExitCode);
        Assert.Contains("Permission denied", login.Stderr, StringComparison.Ordinal);
        var log = sshd.Log;
        var serial = $"(serial {certificate.Serial})";
        Assert.True(log.Contains($"Failed publickey for {SshdServer.User}", StringComparison.Ordinal) && log.Contains($"ID {certificate.KeyId} {serial} CA", StringComparison.Ordinal), $"sshd logged no failure for {serial}:\n{log}");
        Assert.DoesNotContain($"Accepted certificate ID \"{certificate.KeyId}\" {serial}", log, StringComparison.Ordinal);
        if (reason is not null)
        {
            Assert.True(log.Contains(reason, StringComparison.Ordinal), $"sshd did not log '{reason}':\n{log}");
        }
    }
}
