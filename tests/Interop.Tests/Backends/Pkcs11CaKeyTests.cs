using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using SshHsmCa.Hsm;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public class Pkcs11CaKeyTests(SoftHsm hsm)
{
    public static TheoryData<CaKeyType, string> KeyTypes => new()
    {
        { CaKeyType.EcdsaP256, SshSignatureAlgorithms.EcdsaP256 },
        { CaKeyType.EcdsaP384, SshSignatureAlgorithms.EcdsaP384 },
        { CaKeyType.Ed25519, SshSignatureAlgorithms.Ed25519 },
        { CaKeyType.Rsa3072, SshSignatureAlgorithms.RsaSha512 },
        { CaKeyType.Rsa2048, SshSignatureAlgorithms.RsaSha256 },
    };

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task SignsCertificatesThatVerifyAndSshKeygenAccepts(CaKeyType type, string algorithm)
    {
        var token = hsm.CreateToken("sign");
        var generated = SoftHsm.Generate(token, type, "ca", 1);
        await using var ca = Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = SoftHsm.Uri(token, "ca"), RsaSignatureAlgorithm = algorithm.StartsWith("rsa", StringComparison.Ordinal) ? algorithm : SshSignatureAlgorithms.RsaSha512 }, SoftHsm.Pin);
        Assert.Equal(generated, ca.PublicKey);
        Assert.True(ca.IsAvailable);

        using var subjectKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = EcdsaPublicKey.FromParameters(subjectKey.ExportParameters(false));
        var certificate = await TestCertificates.SignAsync(ca, subject, SshCertificateType.User, ["alice"], 1_735_689_600, 2_051_222_400);
        Assert.Equal(algorithm, certificate.Signature.Algorithm);
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());

        using var dir = new TempDir();
        var path = dir.Write("user-cert.pub", certificate.ToOpenSshLine() + "\n");
        var listing = Tools.Run(Tools.SshKeygen, ["-L", "-f", path]);
        Assert.True(listing.ExitCode == 0, listing.Stderr);
        Assert.Equal(SshCertificateListing.Format(certificate, path), listing.Stdout);

        // The exported public key reads back in ssh-keygen with the same fingerprint.
        var pub = dir.Write("ca.pub", ca.PublicKey.ToOpenSshLine("ca") + "\n");
        Assert.Contains(ca.PublicKey.GetSha256Fingerprint(), Tools.Run(Tools.SshKeygen, ["-l", "-f", pub]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedPrivateKeysAreSensitiveAndNeverExtractable()
    {
        var token = hsm.CreateToken("attrs");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 7);
        using var t = Pkcs11Token.Open(Pkcs11KeyUri.Parse(SoftHsm.Uri(token, "ca")), SoftHsm.Pin);
        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var key = t.Anchor.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, "ca")]).Single();
        var attributes = t.Anchor.GetAttributeValue(key, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_TOKEN, CKA.CKA_LOCAL, CKA.CKA_NEVER_EXTRACTABLE]);
        Assert.True(attributes[0].GetValueAsBool());
        Assert.False(attributes[1].GetValueAsBool());
        Assert.True(attributes[2].GetValueAsBool());
        Assert.True(attributes[3].GetValueAsBool());
        Assert.True(attributes[4].GetValueAsBool());

        var listed = Assert.Single(Pkcs11KeyCeremony.List(t));
        Assert.Equal("ca", listed.Label);
        Assert.NotNull(listed.PublicKey);
    }

    [Fact]
    public void GenerateRefusesToReuseALabel()
    {
        var token = hsm.CreateToken("dup");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);
        var e = Assert.Throws<HsmException>(() => SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 2));
        Assert.Equal(HsmErrorKind.Configuration, e.Kind);
    }

    [Fact]
    public void RawRsaPkcsOverDigestInfoEqualsTheCombinedMechanismOnTheToken()
    {
        var token = hsm.CreateToken("rsa-raw");
        SoftHsm.Generate(token, CaKeyType.Rsa2048, "ca", 1);
        using var t = Pkcs11Token.Open(Pkcs11KeyUri.Parse(SoftHsm.Uri(token, "ca")), SoftHsm.Pin);
        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var f = Pkcs11Library.Factories.MechanismFactory;
        var key = t.Anchor.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY)]).Single();
        var data = RandomNumberGenerator.GetBytes(600);
        using var combined = f.Create(CKM.CKM_SHA512_RSA_PKCS);
        using var raw = f.Create(CKM.CKM_RSA_PKCS);
        Assert.Equal(
            t.Anchor.Sign(combined, key, data),
            t.Anchor.Sign(raw, key, RsaDigestInfo.Create(SshSignatureAlgorithms.RsaSha512, data)));
    }

    [Fact]
    public async Task WrongPinUnknownTokenUnknownKeyAndMismatchEachHaveTheirKind()
    {
        var token = hsm.CreateToken("errors");
        var key = SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);

        Assert.Equal(HsmErrorKind.PinIncorrect, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca") }, "000000"u8)).Kind);
        var unknownToken = Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri("no-such-token", "ca") }, SoftHsm.Pin));
        Assert.Equal(HsmErrorKind.TokenNotFound, unknownToken.Kind);
        Assert.Contains(token, unknownToken.Message, StringComparison.Ordinal); // lists the tokens it saw
        Assert.Equal(HsmErrorKind.KeyNotFound, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "nope") }, SoftHsm.Pin)).Kind);
        Assert.Equal(HsmErrorKind.KeyMismatch, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), ExpectedPublicKey = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, SoftHsm.Pin)).Kind);
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca") + "&pin-value=246810" }, SoftHsm.Pin)).Kind);
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = $"pkcs11:token={token};object=ca?module-path=/nonexistent/module.so" }, SoftHsm.Pin)).Kind);

        // The right expected key opens.
        await using var ok = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), ExpectedPublicKey = key.ToOpenSshLine("ca") }, SoftHsm.Pin);
        Assert.Equal(key, ok.PublicKey);
    }

    [Fact]
    public async Task HonoursCancellationAndTheDeadline()
    {
        var token = hsm.CreateToken("deadline");
        SoftHsm.Generate(token, CaKeyType.Rsa3072, "ca", 1);
        var data = RandomNumberGenerator.GetBytes(300);

        await using var ca = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca") }, SoftHsm.Pin);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ca.SignAsync(data, cancelled.Token));

        // An RSA-3072 signature takes milliseconds on SoftHSM: a 1 ms deadline cannot be met.
        await using var hurried = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), SignTimeout = TimeSpan.FromMilliseconds(1) }, SoftHsm.Pin);
        Assert.Equal(HsmErrorKind.Timeout, (await Assert.ThrowsAsync<HsmException>(() => hurried.SignAsync(data))).Kind);

        // Neither leaves the key unusable.
        var signature = await ca.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ca.PublicKey, data, signature));
        Assert.True(hurried.IsAvailable);
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), SignTimeout = TimeSpan.Zero }, SoftHsm.Pin)).Kind);
    }

    [Fact]
    public async Task ManyParallelSignersAllVerify()
    {
        var token = hsm.CreateToken("parallel");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);
        await using var ca = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), PoolSize = 4 }, SoftHsm.Pin);
        var failures = 0;
        var signed = 0;
        await Parallel.ForAsync(0, 16, async (worker, ct) =>
        {
            for (var i = 0; i < 250; i++)
            {
                var data = RandomNumberGenerator.GetBytes(400 + worker);
                var signature = await ca.SignAsync(data, ct);
                if (SshSignatureVerifier.Verify(ca.PublicKey, data, signature) != SignatureVerification.Valid)
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref signed);
            }
        });
        Assert.Equal(4000, signed);
        Assert.Equal(0, failures);
        Assert.Equal(4, ca.IdleSessions);
    }

    [Fact]
    public async Task RecoversWhenItsSessionsAreClosedFromOutside()
    {
        var token = hsm.CreateToken("fault");
        SoftHsm.Generate(token, CaKeyType.Ed25519, "ca", 1);
        await using var ca = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), PoolSize = 2 }, SoftHsm.Pin);
        var data = RandomNumberGenerator.GetBytes(300);
        await ca.SignAsync(data);

        // Break it from outside the pool: every session of this application on the slot goes,
        // and with the last one the login.
        hsm.FindSlot(token).CloseAllSessions();

        var fault = await Assert.ThrowsAsync<HsmException>(() => ca.SignAsync(data));
        Assert.Equal(HsmErrorKind.DeviceUnavailable, fault.Kind);
        Assert.False(ca.IsAvailable);

        // The next request rebuilds sessions, logs in again, finds the key again, and signs.
        var signature = await ca.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ca.PublicKey, data, signature));
        Assert.True(ca.IsAvailable);
        Assert.Equal(1, ca.Recoveries);
    }

    /// <summary>
    /// Under load the fault is a logout from outside (the login state is per token and
    /// process-wide): every session loses its rights at once, as after a token reset. Closing
    /// sessions from outside while threads sign on them is not used here: SoftHSM crashes when a
    /// session is closed under a running C_Sign, which is also why recovery drains first.
    /// </summary>
    [Fact]
    public async Task RecoversUnderLoadWhenTheTokenLogsOutRepeatedly()
    {
        var token = hsm.CreateToken("fault-load");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);
        await using var ca = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), PoolSize = 2 }, SoftHsm.Pin);
        var ok = 0;
        var unavailable = 0;
        using var stop = new CancellationTokenSource();
        var signers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var data = RandomNumberGenerator.GetBytes(256);
                try
                {
                    var signature = await ca.SignAsync(data);
                    Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ca.PublicKey, data, signature));
                    Interlocked.Increment(ref ok);
                }
                catch (HsmException e) when (e.Kind == HsmErrorKind.DeviceUnavailable)
                {
                    Interlocked.Increment(ref unavailable);
                }
            }
        })).ToArray();

        for (var round = 0; round < 5; round++)
        {
            await Task.Delay(150);
            using var outside = hsm.FindSlot(token).OpenSession(SessionType.ReadOnly);
            outside.Logout();
        }

        await Task.Delay(300);
        await stop.CancelAsync();
        await Task.WhenAll(signers);

        Assert.True(ca.Recoveries >= 1, $"recoveries {ca.Recoveries}");
        Assert.True(unavailable >= 1, "no request met the fault");
        Assert.True(ok > 100, $"only {ok} signatures succeeded");
        var after = RandomNumberGenerator.GetBytes(64);
        var afterSignature = await ca.SignAsync(after);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ca.PublicKey, after, afterSignature));
    }

    /// <summary>
    /// Issue 13: the token's folder moved away, then back. New sessions cannot find a token that
    /// SoftHSM2 looks for only in C_Initialize, so the backend re-initialises the module, and
    /// every key of the module (the second one never asked to sign) comes back by itself.
    /// </summary>
    [Fact]
    public async Task ReinitialisesTheModuleWhenTheTokenComesBackAfterGoingAway()
    {
        var token = hsm.CreateToken("away");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);
        SoftHsm.Generate(token, CaKeyType.Ed25519, "other", 2);
        await using var ca = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "ca"), PoolSize = 2 }, SoftHsm.Pin);
        await using var other = Pkcs11CaKey.Open(new() { Uri = SoftHsm.Uri(token, "other"), PoolSize = 2 }, SoftHsm.Pin);
        var data = RandomNumberGenerator.GetBytes(200);
        await ca.SignAsync(data);
        var reinitialized = ca.Module.Reinitializations;

        var away = hsm.TakeAway(token);
        HsmException? fault = null;
        using (away)
        {
            // A closed session makes the backend look for the token again: it is gone.
            for (var i = 0; i < 100 && fault is null; i++)
            {
                try
                {
                    await ca.SignAsync(data);
                    await Task.Delay(50);
                }
                catch (HsmException e)
                {
                    fault = e;
                }
            }

            Assert.NotNull(fault);
            Assert.Equal(HsmErrorKind.DeviceUnavailable, fault.Kind);
            Assert.False(ca.IsAvailable);

            // While it is away, requests fail at once (no request waits on a missing device).
            var whileAway = await Assert.ThrowsAsync<HsmException>(() => ca.SignAsync(data));
            Assert.Equal(HsmErrorKind.DeviceUnavailable, whileAway.Kind);
        }

        // Back: both keys recover without a request (bounded wait; the time is measured by
        // bench/Reliability, not asserted here).
        for (var i = 0; i < 300 && !(ca.IsAvailable && other.IsAvailable); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(ca.IsAvailable, "the key did not come back");
        Assert.True(other.IsAvailable, "the module's other key did not come back");
        Assert.True(ca.Module.Reinitializations > reinitialized, "the module was not re-initialised");
        var signature = await ca.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(ca.PublicKey, data, signature));
        var otherSignature = await other.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(other.PublicKey, data, otherSignature));
    }
}
