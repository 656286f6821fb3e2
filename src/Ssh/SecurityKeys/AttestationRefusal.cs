namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>Why an attestation was refused: stable names for audit rows, errors and tests.</summary>
public enum AttestationRefusal
{
    /// <summary>The blob, its authenticator data or its certificate is malformed.</summary>
    Malformed,

    /// <summary>The key type cannot be attested (not sk-ecdsa or sk-ed25519).</summary>
    NotASecurityKey,

    /// <summary>rpIdHash is not SHA-256 of the key's application.</summary>
    WrongApplication,

    /// <summary>The user-present flag is clear.</summary>
    UserNotPresent,

    /// <summary>Policy requires user verification and the UV flag is clear.</summary>
    UserNotVerified,

    /// <summary>The credential is backup-eligible or backed up (a synced passkey) and policy does not allow it.</summary>
    BackupNotAllowed,

    /// <summary>The attested public key is not the submitted key.</summary>
    KeyMismatch,

    /// <summary>No attestation certificate or signature: a "none" attestation.</summary>
    NoAttestation,

    /// <summary>The signature verifies neither as packed nor as fido-u2f (for example, another challenge).</summary>
    BadSignature,

    /// <summary>The attestation certificate is not a v3 end-entity certificate, or its AAGUID extension disagrees.</summary>
    BadCertificate,

    /// <summary>The attestation certificate does not chain to a pinned root.</summary>
    UntrustedRoot,

    /// <summary>The AAGUID (authenticator model) is not on the allow-list.</summary>
    ModelNotAllowed,
}
