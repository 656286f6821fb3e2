namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>The <c>ErrorInfo.reason</c> values of the API (stable; listed per RPC in ca.proto).</summary>
internal static class ErrorReasons
{
    /// <summary>INVALID_ARGUMENT: a field is malformed; a BadRequest names each field (proto field paths).</summary>
    public const string InvalidRequest = "INVALID_REQUEST";

    /// <summary>INVALID_ARGUMENT: the request bytes are not a protobuf message of the RPC's type.</summary>
    public const string MalformedMessage = "MALFORMED_MESSAGE";

    /// <summary>PERMISSION_DENIED: policy refused the certificate; a PreconditionFailure carries every reason.</summary>
    public const string PolicyDenied = "POLICY_DENIED";

    /// <summary>PERMISSION_DENIED: no role of the caller names the operator right (metadata "right").</summary>
    public const string OperatorRightMissing = "OPERATOR_RIGHT_MISSING";

    /// <summary>UNAUTHENTICATED: no client certificate, token or operator socket.</summary>
    public const string NoCredential = "NO_CREDENTIAL";

    /// <summary>UNAUTHENTICATED: the authorization header is not one credential of a known scheme.</summary>
    public const string MalformedCredential = "MALFORMED_CREDENTIAL";

    /// <summary>UNAUTHENTICATED: the ID token was refused (issuer, audience, signature, expiry).</summary>
    public const string IdTokenRefused = "ID_TOKEN_REFUSED";

    /// <summary>UNAUTHENTICATED: SSO is not configured on this CA.</summary>
    public const string SsoNotConfigured = "SSO_NOT_CONFIGURED";

    /// <summary>UNAUTHENTICATED: the bootstrap token is unknown, wrong, used or expired, or not accepted by this RPC.</summary>
    public const string BootstrapTokenRefused = "BOOTSTRAP_TOKEN_REFUSED";

    /// <summary>UNAUTHENTICATED: the renewal challenge or proof was refused.</summary>
    public const string RenewalRefused = "RENEWAL_REFUSED";

    /// <summary>NOT_FOUND: no certificate with that serial.</summary>
    public const string CertificateNotFound = "CERTIFICATE_NOT_FOUND";

    /// <summary>UNAVAILABLE: the CA key's device failed or is away (metadata "kind").</summary>
    public const string CaKeyUnavailable = "CA_KEY_UNAVAILABLE";

    /// <summary>DEADLINE_EXCEEDED: the device did not sign in time (metadata "kind": Timeout or TouchTimeout).</summary>
    public const string CaKeyTimeout = "CA_KEY_TIMEOUT";

    /// <summary>RESOURCE_EXHAUSTED: a per-source limit (metadata "limit": anonymous or failures).</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>FAILED_PRECONDITION: the PIV slot holds one of this daemon's CA keys.</summary>
    public const string SlotInUse = "SLOT_IN_USE";

    /// <summary>FAILED_PRECONDITION: the revocation's selector matches no certificate this CA issued.</summary>
    public const string NothingToRevoke = "NOTHING_TO_REVOKE";

    /// <summary>The audit store cannot be written or read (a PostgreSQL primary unreachable): nothing was issued.</summary>
    public const string AuditUnavailable = "AUDIT_UNAVAILABLE";

    /// <summary>ReloadConfiguration: the configuration, policy or a CA key was refused; nothing changed.</summary>
    public const string ReloadRefused = "RELOAD_REFUSED";

    /// <summary>Security-key enrollment is not configured (no attestation roots).</summary>
    public const string EnrollmentNotConfigured = "ENROLLMENT_NOT_CONFIGURED";

    /// <summary>The enrollment challenge is unknown, another caller's, expired or used.</summary>
    public const string ChallengeInvalid = "CHALLENGE_INVALID";

    /// <summary>The attestation was refused; the message names the check.</summary>
    public const string AttestationRefused = "ATTESTATION_REFUSED";

    /// <summary>The key ceremony failed on the card (status code by the failure; metadata "kind").</summary>
    public const string CeremonyFailed = "CEREMONY_FAILED";

    /// <summary>FAILED_PRECONDITION: the issuance log has no log key configured, or no signed checkpoint yet.</summary>
    public const string LogNotReady = "LOG_NOT_READY";

    /// <summary>NOT_FOUND: the certificate has no leaf in the issuance log, or none in a signed checkpoint yet.</summary>
    public const string NotInLog = "NOT_IN_LOG";

    /// <summary>INTERNAL: a bug; the message gives a reference found in the CA's log.</summary>
    public const string Internal = "INTERNAL";
}
