namespace SshHsmCa.Ssh.Signatures;

/// <summary>The outcome of checking a signature. Only <see cref="Valid"/> is acceptable.</summary>
public enum SignatureVerification
{
    /// <summary>The signature is correct and its algorithm acceptable.</summary>
    Valid,

    /// <summary>The signature does not verify against the key.</summary>
    Invalid,

    /// <summary>The algorithm does not belong to the key's type (e.g. an ECDSA signature for an Ed25519 key).</summary>
    AlgorithmMismatch,

    /// <summary>The algorithm is known but refused: <c>ssh-rsa</c> (SHA-1).</summary>
    AlgorithmNotAllowed,

    /// <summary>The library cannot verify this kind of signature (security-key signatures).</summary>
    Unsupported,
}
