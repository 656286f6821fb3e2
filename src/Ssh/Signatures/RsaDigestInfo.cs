using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// PKCS#1 v1.5 DigestInfo prefixes (RFC 8017 §9.2 note 1), for a token that only offers raw
/// <c>CKM_RSA_PKCS</c>: it signs <c>DigestInfo ‖ H(data)</c>, which gives the same bytes as
/// <c>CKM_SHA512_RSA_PKCS</c> over the data (RFC 8332 §3, RFC 8017 §9.2).
/// </summary>
public static class RsaDigestInfo
{
    private static readonly byte[] Sha1Prefix = Convert.FromHexString("3021300906052b0e03021a05000414");
    private static readonly byte[] Sha256Prefix = Convert.FromHexString("3031300d060960864801650304020105000420");
    private static readonly byte[] Sha512Prefix = Convert.FromHexString("3051300d060960864801650304020305000440");

    /// <summary>The DER DigestInfo prefix for a hash.</summary>
    public static ReadOnlySpan<byte> GetPrefix(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA512)
        {
            return Sha512Prefix;
        }

        if (hash == HashAlgorithmName.SHA256)
        {
            return Sha256Prefix;
        }

        if (hash == HashAlgorithmName.SHA1)
        {
            return Sha1Prefix;
        }

        throw new ArgumentException($"no DigestInfo prefix for {hash.Name}", nameof(hash));
    }

    /// <summary>The hash an SSH RSA signature algorithm uses.</summary>
    public static HashAlgorithmName HashFor(string signatureAlgorithm) => signatureAlgorithm switch
    {
        SshSignatureAlgorithms.RsaSha512 => HashAlgorithmName.SHA512,
        SshSignatureAlgorithms.RsaSha256 => HashAlgorithmName.SHA256,
        SshSignatureAlgorithms.RsaSha1 => HashAlgorithmName.SHA1,
        _ => throw new ArgumentException($"'{signatureAlgorithm}' is not an RSA signature algorithm", nameof(signatureAlgorithm)),
    };

    /// <summary><c>DigestInfo ‖ H(data)</c>: the input for a raw <c>CKM_RSA_PKCS</c> signature.</summary>
    public static byte[] Create(string signatureAlgorithm, ReadOnlySpan<byte> data)
    {
        var hash = HashFor(signatureAlgorithm);
        var prefix = GetPrefix(hash);
        if (hash == HashAlgorithmName.SHA1)
        {
            throw new ArgumentException("ssh-rsa (SHA-1) signatures are never made", nameof(signatureAlgorithm));
        }

        var hashLength = hash == HashAlgorithmName.SHA512 ? 64 : 32;
        var result = new byte[prefix.Length + hashLength];
        prefix.CopyTo(result);
        var digest = result.AsSpan(prefix.Length);
        if (hash == HashAlgorithmName.SHA512)
        {
            SHA512.HashData(data, digest);
        }
        else
        {
            SHA256.HashData(data, digest);
        }

        return result;
    }
}
