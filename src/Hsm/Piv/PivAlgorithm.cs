namespace SshHsmCa.Hsm.Piv;

/// <summary>PIV algorithm identifiers (SP 800-78 and Yubico's extensions).</summary>
public enum PivAlgorithm : byte
{
    /// <summary>Not set.</summary>
    None = 0,

    /// <summary>Three-key triple DES (management key).</summary>
    TripleDes = 0x03,

    /// <summary>RSA 3072 (firmware 5.7).</summary>
    Rsa3072 = 0x05,

    /// <summary>RSA 1024.</summary>
    Rsa1024 = 0x06,

    /// <summary>RSA 2048.</summary>
    Rsa2048 = 0x07,

    /// <summary>AES-128 (management key).</summary>
    Aes128 = 0x08,

    /// <summary>AES-192 (management key; the 5.7 default).</summary>
    Aes192 = 0x0A,

    /// <summary>AES-256 (management key).</summary>
    Aes256 = 0x0C,

    /// <summary>ECC P-256.</summary>
    EccP256 = 0x11,

    /// <summary>ECC P-384.</summary>
    EccP384 = 0x14,

    /// <summary>RSA 4096 (firmware 5.7).</summary>
    Rsa4096 = 0x16,

    /// <summary>Ed25519 (firmware 5.7).</summary>
    Ed25519 = 0xE0,

    /// <summary>X25519 (firmware 5.7).</summary>
    X25519 = 0xE1,
}
