namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// Ed25519 verification (RFC 8032), which .NET 10 does not provide. BouncyCastle's Rfc8032
/// implementation is used: managed code (no native library to ship or trim around), and it
/// rejects non-canonical encodings of S and of the public key. The choice was measured against
/// NSec (libsodium); see bench/Ssh.Benchmarks and the README.
/// </summary>
internal static class Ed25519
{
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        return Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(signature, publicKey, data);
    }
}
