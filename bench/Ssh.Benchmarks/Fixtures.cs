using System.Security.Cryptography;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Benchmarks;

/// <summary>A typical user certificate: Ed25519 key, Ed25519 CA, two principals, the five default extensions, a key id.</summary>
internal static class Fixtures
{
    public static readonly byte[] Ed25519Seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public static Ed25519PublicKey Ed25519Ca()
    {
        var pk = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(Ed25519Seed, 0, pk, 0);
        return Ed25519PublicKey.Create(pk);
    }

    public static SshSignature SignEd25519(byte[] data)
    {
        var sig = new byte[64];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(Ed25519Seed, 0, data, 0, data.Length, sig, 0);
        return SshSignatureEncoder.FromEd25519(sig);
    }

    public static SshCertificateBuilder TypicalUser(SshPublicKey ca)
    {
        var subject = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(new byte[32], 0, subject, 0);
        return new SshCertificateBuilder
        {
            PublicKey = Ed25519PublicKey.Create(subject),
            SignatureKey = ca,
            Nonce = RandomNumberGenerator.GetBytes(32),
            Serial = 123456789,
            Fields = new SshCertificateFields
            {
                Type = SshCertificateType.User,
                KeyId = "alice@example.com via oidc request 7f3a9c",
                Principals = ["alice", "admins"],
                ValidAfter = 1_764_000_000,
                ValidBefore = 1_764_000_000 + 8 * 3600,
                Extensions = SshExtensions.DefaultUser,
            },
        };
    }
}
