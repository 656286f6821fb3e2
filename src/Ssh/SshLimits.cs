namespace SshHsmCa.Ssh;

/// <summary>Bounds applied by every parser in this library, taken from OpenSSH.</summary>
public static class SshLimits
{
    /// <summary>Largest key, signature or certificate blob accepted: OpenSSH's PACKET_MAX_SIZE (256 KiB), the largest blob sshd ever reads.</summary>
    public const int MaxBlobLength = 256 * 1024;

    /// <summary>sshkey.c SSHKEY_CERT_MAX_PRINCIPALS.</summary>
    public const int MaxPrincipals = 256;

    /// <summary>sshbuf.h SSHBUF_MAX_BIGNUM (16384 bits) plus the sign byte.</summary>
    public const int MaxMpintLength = (16384 / 8) + 1;

    /// <summary>ssh.h SSH_RSA_MINIMUM_MODULUS_SIZE: sshkey.c refuses smaller RSA keys at parse.</summary>
    public const int MinRsaModulusBits = 1024;

    /// <summary>ssh.h SSH_RSA_MAXIMUM_MODULUS_SIZE.</summary>
    public const int MaxRsaModulusBits = 16384;

    /// <summary>Longest OpenSSH text line (type, base64 blob, comment) this library reads.</summary>
    public const int MaxLineLength = ((MaxBlobLength + 2) / 3 * 4) + 4096;
}
