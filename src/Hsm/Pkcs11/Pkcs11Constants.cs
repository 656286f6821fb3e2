namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>PKCS#11 3.0 values missing from Pkcs11Interop 5.3.0's v2.40 enums (PKCS#11 3.0 §2.3.10 CKK_EC_EDWARDS, §6.3.5 CKM_EDDSA).</summary>
internal static class Pkcs11Constants
{
    public const ulong CkmEddsa = 0x1057;
    public const ulong CkmEcEdwardsKeyPairGen = 0x1055;
    public const ulong CkkEcEdwards = 0x40;

    /// <summary>CKA_EC_PARAMS for P-256: OID 1.2.840.10045.3.1.7.</summary>
    public static readonly byte[] P256Params = Convert.FromHexString("06082A8648CE3D030107");

    /// <summary>CKA_EC_PARAMS for P-384: OID 1.3.132.0.34.</summary>
    public static readonly byte[] P384Params = Convert.FromHexString("06052B81040022");

    /// <summary>CKA_EC_PARAMS for P-521: OID 1.3.132.0.35.</summary>
    public static readonly byte[] P521Params = Convert.FromHexString("06052B81040023");

    /// <summary>CKA_EC_PARAMS for Ed25519: OID 1.3.101.112 (RFC 8410).</summary>
    public static readonly byte[] Ed25519OidParams = Convert.FromHexString("06032B6570");

    /// <summary>CKA_EC_PARAMS for Ed25519 as pkcs11-tool 0.23 writes it: PrintableString "edwards25519".</summary>
    public static readonly byte[] Ed25519NameParams = Convert.FromHexString("130C656477617264733235353139");
}
