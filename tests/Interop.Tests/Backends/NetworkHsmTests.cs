using System.Security.Cryptography;
using SshHsmCa.Hsm;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 19, goal 4: a CA key a network round trip away. SoftHSM2's token is served by Debian's
/// <c>p11-kit server</c>; the backend loads <c>p11-kit-client.so</c>, and every call crosses a
/// <see cref="DelayLine"/> of 2 ms each way. The pool is sized from what the module is, signatures
/// take two calls, ssh-keygen accepts what comes back, and a server that goes away and comes back
/// is recovered from.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class NetworkHsmTests(SoftHsm hsm)
{
    /// <summary>p11-kit-client.so reads its server's address once per process: one address for every test here.</summary>
    private static readonly string LinkSocket = Path.Combine(Path.GetTempPath(), $"sshhsmca-p11kit-{Environment.ProcessId}.sock");

    [Fact]
    public async Task ALocalModuleComputesAndGetsOneSessionPerCore()
    {
        var token = hsm.CreateToken("local");
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "ca", 1);
        await using var ca = Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = SoftHsm.Uri(token, "ca") }, SoftHsm.Pin);
        Assert.False(ca.ModuleWaits);
        Assert.Equal(Environment.ProcessorCount, ca.PoolSize);
    }

    [Fact]
    public async Task AKeyBehindANetworkRoundTripGetsManySessionsSignsInTwoCallsAndRecoversWhenTheServerReturns()
    {
        var token = hsm.CreateToken("net");
        // Not Ed25519: p11-kit 0.24's RPC refuses CKM_EDDSA (CKR_MECHANISM_INVALID at C_SignInit),
        // as it refuses every mechanism it cannot serialise; network HSMs that sign Ed25519 carry it.
        var types = new (CaKeyType Type, string Label)[] { (CaKeyType.EcdsaP256, "p256"), (CaKeyType.Rsa3072, "rsa3072") };
        byte id = 1;
        foreach (var (type, label) in types)
        {
            SoftHsm.Generate(token, type, label, id++);
        }

        using var dir = new TempDir();
        var serverSocket = dir.PathOf("p11kit.sock");
        var server = new P11KitServer(serverSocket, Tools.SoftHsmModule, token, hsm.ConfPath);
        try
        {
            await using var link = new DelayLine(LinkSocket, serverSocket, TimeSpan.FromMilliseconds(2));
            NativeEnvironment.Set("P11_KIT_SERVER_ADDRESS", P11KitServer.Address(LinkSocket));
            var keys = new List<Pkcs11CaKey>();
            try
            {
                foreach (var (_, label) in types)
                {
                    keys.Add(Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = $"pkcs11:token={token};object={label}?module-path={P11KitServer.ClientModule}" }, SoftHsm.Pin));
                }

                foreach (var key in keys)
                {
                    Assert.True(key.ModuleWaits, $"{key.Description}: a call took {key.ModuleCallTime.TotalMilliseconds:0.00} ms through the link, yet the module was taken for one that computes");
                    Assert.Equal(Pkcs11PoolSizing.WaitingModuleSessions, key.PoolSize);
                }

                // Many signatures in flight on one key, each verified by the backend; one certificate
                // per key type judged by ssh-keygen.
                var p256 = keys[0];
                var messages = Enumerable.Range(0, 96).Select(_ => RandomNumberGenerator.GetBytes(200)).ToArray();
                var signatures = await Task.WhenAll(messages.Select(m => p256.SignAsync(m)));
                for (var i = 0; i < messages.Length; i++)
                {
                    Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(p256.PublicKey, messages[i], signatures[i]));
                }

                foreach (var key in keys)
                {
                    await AssertSshKeygenAcceptsAsync(key, dir);
                }

                // The server goes away: signing fails fast as DeviceUnavailable (no hang), then the
                // backend reconnects on its own once the server is back.
                server.Dispose();
                var failure = await Assert.ThrowsAsync<HsmException>(() => p256.SignAsync(messages[0]));
                Assert.Equal(HsmErrorKind.DeviceUnavailable, failure.Kind);
                server = new P11KitServer(serverSocket, Tools.SoftHsmModule, token, hsm.ConfPath);
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!p256.IsAvailable && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }

                Assert.True(p256.IsAvailable, "the key did not come back within 30 s of the server's return");
                var again = await p256.SignAsync(messages[1]);
                Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(p256.PublicKey, messages[1], again));
            }
            finally
            {
                foreach (var key in keys)
                {
                    await key.DisposeAsync();
                }
            }
        }
        finally
        {
            server.Dispose();
        }
    }

    private static async Task AssertSshKeygenAcceptsAsync(Pkcs11CaKey ca, TempDir dir)
    {
        using var subjectKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = EcdsaPublicKey.FromParameters(subjectKey.ExportParameters(false));
        var certificate = await TestCertificates.SignAsync(ca, subject, SshCertificateType.User, ["alice"], 1_735_689_600, 2_051_222_400);
        Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());
        var path = dir.Write($"{ca.PublicKey.KeyType}-cert.pub", certificate.ToOpenSshLine() + "\n");
        var listing = Tools.Run(Tools.SshKeygen, ["-L", "-f", path]);
        Assert.True(listing.ExitCode == 0, listing.Stderr);
        Assert.Equal(SshCertificateListing.Format(certificate, path), listing.Stdout);
    }
}
