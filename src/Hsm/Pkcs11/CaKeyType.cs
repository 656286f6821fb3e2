namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>CA key types that can be generated on a token.</summary>
public enum CaKeyType
{
    /// <summary>ECDSA on NIST P-256.</summary>
    EcdsaP256,

    /// <summary>ECDSA on NIST P-384.</summary>
    EcdsaP384,

    /// <summary>Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN).</summary>
    Ed25519,

    /// <summary>RSA 2048 bits.</summary>
    Rsa2048,

    /// <summary>RSA 3072 bits.</summary>
    Rsa3072,

    /// <summary>RSA 4096 bits.</summary>
    Rsa4096,
}
