using System.Security.Cryptography;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// The single-block ECB operations of the management key's challenge-response (3DES or AES;
/// NIST SP 800-73-4 Part 2 §3.2.4, GENERAL AUTHENTICATE). Three-key 3DES is composed of DES steps so that keys the default of
/// which repeats its halves (010203…) are accepted as the card accepts them.
/// </summary>
public static class PivManagementKey
{
    /// <summary>The factory default management key (3DES on firmware before 5.7, AES-192 since; same bytes).</summary>
    public static ReadOnlySpan<byte> DefaultKey => [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>The block size for the algorithm (8 for 3DES, 16 for AES).</summary>
    public static int BlockSize(PivAlgorithm algorithm) => algorithm switch
    {
        PivAlgorithm.TripleDes => 8,
        PivAlgorithm.Aes128 or PivAlgorithm.Aes192 or PivAlgorithm.Aes256 => 16,
        _ => throw new HsmException(HsmErrorKind.UnsupportedKey, $"management key algorithm {algorithm} is not 3DES or AES"),
    };

    /// <summary>The key length the algorithm needs.</summary>
    public static int KeyLength(PivAlgorithm algorithm) => algorithm switch
    {
        PivAlgorithm.TripleDes or PivAlgorithm.Aes192 => 24,
        PivAlgorithm.Aes128 => 16,
        PivAlgorithm.Aes256 => 32,
        _ => throw new HsmException(HsmErrorKind.UnsupportedKey, $"management key algorithm {algorithm} is not 3DES or AES"),
    };

    /// <summary>Encrypts one block.</summary>
    public static byte[] Encrypt(PivAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) => Apply(algorithm, key, block, encrypt: true);

    /// <summary>Decrypts one block.</summary>
    public static byte[] Decrypt(PivAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) => Apply(algorithm, key, block, encrypt: false);

    private static byte[] Apply(PivAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        if (key.Length != KeyLength(algorithm))
        {
            throw new HsmException(HsmErrorKind.Configuration, $"a {algorithm} management key is {KeyLength(algorithm)} bytes, got {key.Length}");
        }

        if (block.Length != BlockSize(algorithm))
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"a {algorithm} block is {BlockSize(algorithm)} bytes, got {block.Length}");
        }

        if (algorithm == PivAlgorithm.TripleDes)
        {
            // EDE: E_k3(D_k2(E_k1(x))); decryption D_k1(E_k2(D_k3(x))).
            var k1 = key[..8];
            var k2 = key[8..16];
            var k3 = key[16..];
            return encrypt
                ? Des(k3, Des(k2, Des(k1, block, true), false), true)
                : Des(k1, Des(k2, Des(k3, block, false), true), false);
        }

        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        return encrypt ? aes.EncryptEcb(block, PaddingMode.None) : aes.DecryptEcb(block, PaddingMode.None);
    }

#pragma warning disable CA5351 // The PIV management key protocol is 3DES on older YubiKeys; composed from DES by design.
    private static byte[] Des(ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        using var des = DES.Create();
        des.Key = key.ToArray();
        return encrypt ? des.EncryptEcb(block, PaddingMode.None) : des.DecryptEcb(block, PaddingMode.None);
    }
#pragma warning restore CA5351
}
