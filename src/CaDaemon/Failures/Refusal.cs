namespace SshHsmCa.CaDaemon.Failures;

/// <summary>The refusals that are neither a malformed request nor a policy denial.</summary>
internal enum Refusal
{
    /// <summary>The call brings no credential and its connection no identity.</summary>
    NoCredential,

    /// <summary>The authorization header is not one of ours (scheme, length, token shape).</summary>
    MalformedCredential,

    /// <summary>An ID token, and this CA has no SSO configured.</summary>
    SsoNotConfigured,

    /// <summary>The ID token was refused (issuer, audience, signature, expiry…).</summary>
    IdTokenRefused,

    /// <summary>The bootstrap token was refused (unknown, used, expired, or not for this call).</summary>
    BootstrapTokenRefused,

    /// <summary>The host renewal's certificate, challenge or proof was refused.</summary>
    RenewalRefused,

    /// <summary>No certificate has the serial asked for.</summary>
    CertificateNotFound,

    /// <summary>The PIV slot holds one of this daemon's CA keys.</summary>
    SlotInUse,

    /// <summary>A revocation's selector matches nothing this CA issued.</summary>
    NothingToRevoke,

    /// <summary>The key ceremony cannot run as configured (no management key, an unreadable one).</summary>
    CeremonyNotConfigured,

    /// <summary>A configuration reload was refused (the previous keys and policy stay in force).</summary>
    ReloadRefused,

    /// <summary>Security-key enrollment needs attestation roots, and none are configured.</summary>
    EnrollmentNotConfigured,

    /// <summary>The enrollment challenge is unknown, another caller's, expired or used.</summary>
    ChallengeInvalid,

    /// <summary>The attestation does not prove that the key lives in a trusted security key.</summary>
    AttestationRefused,

    /// <summary>The issuance log has no log key configured, or no checkpoint signed yet.</summary>
    LogNotReady,

    /// <summary>The certificate is not in the issuance log, or not yet in a signed checkpoint.</summary>
    NotInLog,
}
