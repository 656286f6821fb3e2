using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Hsm.Piv;

/// <summary>What GENERAL AUTHENTICATE gets for each algorithm: a hash (ECDSA), the message (Ed25519) or a PKCS#1 block (RSA).</summary>
internal static class PivSignatureInput
{
    /// <summary>The card's input for signing <paramref name="data"/>.</summary>
    public static byte[] Create(string description, PivAlgorithm algorithm, SshPublicKey publicKey, string rsaSignatureAlgorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        PivAlgorithm.EccP256 => SHA256.HashData(data),
        PivAlgorithm.EccP384 => SHA384.HashData(data),
        PivAlgorithm.Ed25519 => data.Length <= 3072 ? data.ToArray() : throw new HsmException(HsmErrorKind.UnsupportedKey, $"{description}: Ed25519 on the card signs at most 3072 bytes, got {data.Length}"),
        PivAlgorithm.Rsa1024 or PivAlgorithm.Rsa2048 or PivAlgorithm.Rsa3072 or PivAlgorithm.Rsa4096 => Pkcs1Block(((RsaPublicKey)publicKey).ModulusLength, RsaDigestInfo.Create(rsaSignatureAlgorithm, data)),
        _ => throw new HsmException(HsmErrorKind.UnsupportedKey, $"{description}: {algorithm} cannot sign SSH certificates"),
    };

    /// <summary>The PKCS#1 v1.5 signature block <c>00 01 FF… 00 DigestInfo‖H</c>, built on the host (the card does raw RSA).</summary>
    public static byte[] Pkcs1Block(int modulusLength, ReadOnlySpan<byte> digestInfo)
    {
        if (digestInfo.Length + 11 > modulusLength)
        {
            throw new HsmException(HsmErrorKind.UnsupportedKey, $"a {modulusLength * 8}-bit RSA key cannot hold a {digestInfo.Length}-byte DigestInfo");
        }

        var block = new byte[modulusLength];
        block[1] = 0x01;
        block.AsSpan(2, modulusLength - digestInfo.Length - 3).Fill(0xFF);
        digestInfo.CopyTo(block.AsSpan(modulusLength - digestInfo.Length));
        return block;
    }
}
