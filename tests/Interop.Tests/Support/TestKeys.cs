using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>Fresh subject keys without running ssh-keygen.</summary>
internal static class TestKeys
{
    /// <summary>A new Ed25519 public key as an OpenSSH line (the private half is discarded).</summary>
    public static string Ed25519Line()
    {
        var seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var pub = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, pub, 0);
        return Ed25519PublicKey.Create(pub).ToOpenSshLine("test");
    }
}
