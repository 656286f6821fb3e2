using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// The one table from domain failures to the API's statuses: a malformed request, a policy
/// denial, each refusal and each <see cref="HsmErrorKind"/>. Single calls get it as an
/// <see cref="RpcException"/> (through <see cref="FailureInterceptor"/>), batch entries as a
/// <see cref="BatchHostError"/>: a touch timeout is DEADLINE_EXCEEDED in both.
/// </summary>
internal static class StatusTable
{
    /// <summary>A failure's status, or null when the exception is not a domain failure (a bug).</summary>
    public static Mapped? Map(Exception failure) => failure switch
    {
        InvalidRequestException invalid => new(StatusCode.InvalidArgument, ErrorReasons.InvalidRequest, invalid.Message) { Violations = invalid.Violations },
        PolicyDeniedException denied => new(
            StatusCode.PermissionDenied,
            denied.Deny.Reasons.All(r => r.Code == ReasonCodes.PermissionNotGranted) ? ErrorReasons.OperatorRightMissing : ErrorReasons.PolicyDenied,
            denied.Message) { PolicyReasons = denied.Deny.Reasons },
        RefusedException refused => refused.Refusal switch
        {
            Refusal.NoCredential => new(StatusCode.Unauthenticated, ErrorReasons.NoCredential, refused.Message),
            Refusal.MalformedCredential => new(StatusCode.Unauthenticated, ErrorReasons.MalformedCredential, refused.Message),
            Refusal.SsoNotConfigured => new(StatusCode.Unauthenticated, ErrorReasons.SsoNotConfigured, refused.Message),
            Refusal.IdTokenRefused => new(StatusCode.Unauthenticated, ErrorReasons.IdTokenRefused, refused.Message),
            Refusal.BootstrapTokenRefused => new(StatusCode.Unauthenticated, ErrorReasons.BootstrapTokenRefused, refused.Message),
            Refusal.RenewalRefused => new(StatusCode.Unauthenticated, ErrorReasons.RenewalRefused, refused.Message),
            Refusal.CertificateNotFound => new(StatusCode.NotFound, ErrorReasons.CertificateNotFound, refused.Message),
            Refusal.SlotInUse => new(StatusCode.FailedPrecondition, ErrorReasons.SlotInUse, refused.Message),
            Refusal.NothingToRevoke => new(StatusCode.FailedPrecondition, ErrorReasons.NothingToRevoke, refused.Message),
            Refusal.ReloadRefused => new(StatusCode.FailedPrecondition, ErrorReasons.ReloadRefused, refused.Message),
            Refusal.EnrollmentNotConfigured => new(StatusCode.FailedPrecondition, ErrorReasons.EnrollmentNotConfigured, refused.Message),
            Refusal.ChallengeInvalid => new(StatusCode.FailedPrecondition, ErrorReasons.ChallengeInvalid, refused.Message),
            Refusal.AttestationRefused => new(StatusCode.PermissionDenied, ErrorReasons.AttestationRefused, refused.Message),
            Refusal.LogNotReady => new(StatusCode.FailedPrecondition, ErrorReasons.LogNotReady, refused.Message),
            Refusal.NotInLog => new(StatusCode.NotFound, ErrorReasons.NotInLog, refused.Message),
            Refusal.CeremonyNotConfigured => new(StatusCode.FailedPrecondition, ErrorReasons.CeremonyFailed, refused.Message),
            _ => null,
        },
        CeremonyFailedException ceremony => new(
            ceremony.Failure.Kind switch
            {
                HsmErrorKind.TokenNotFound or HsmErrorKind.DeviceUnavailable => StatusCode.Unavailable,
                HsmErrorKind.UnsupportedKey => StatusCode.InvalidArgument,
                _ => StatusCode.FailedPrecondition,
            },
            ErrorReasons.CeremonyFailed,
            ceremony.Message) { Kind = ceremony.Failure.Kind },
        HsmException { Kind: HsmErrorKind.Timeout or HsmErrorKind.TouchTimeout } timeout =>
            new(StatusCode.DeadlineExceeded, ErrorReasons.CaKeyTimeout, "the CA key's device did not sign in time; retry later") { Kind = timeout.Kind },
        HsmException device => new(StatusCode.Unavailable, ErrorReasons.CaKeyUnavailable, "the CA key's device is unavailable; retry later") { Kind = device.Kind },
        System.Data.Common.DbException => new(StatusCode.Unavailable, ErrorReasons.AuditUnavailable, "the audit store is unavailable (nothing was issued); retry later"),
        _ => null,
    };

    /// <summary>The status of a single call, with its ErrorInfo and detail.</summary>
    public static RpcException ToRpcException(Mapped mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        IMessage? detail = null;
        if (mapped.Violations.Count > 0)
        {
            var bad = new BadRequest();
            bad.FieldViolations.AddRange(mapped.Violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
            detail = bad;
        }
        else if (mapped.PolicyReasons.Count > 0)
        {
            var failure = new PreconditionFailure();
            failure.Violations.AddRange(mapped.PolicyReasons.Select(r => new PreconditionFailure.Types.Violation { Type = r.Code, Subject = FieldPath(r.Field), Description = r.Message }));
            detail = failure;
        }

        var metadata = mapped.Kind is { } kind ? new Dictionary<string, string>(StringComparer.Ordinal) { ["kind"] = kind.ToString() } : null;
        return RpcErrors.Create(mapped.Code, mapped.Reason, mapped.Message, detail, metadata);
    }

    /// <summary>The same failure as one entry of a batch's results.</summary>
    public static BatchHostError ToBatchError(Mapped mapped, string prefix)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var error = new BatchHostError { Code = CodeName(mapped.Code), Reason = mapped.Reason, Message = prefix + mapped.Message };
        error.FieldViolations.AddRange(mapped.Violations.Select(v => new BatchFieldViolation { Field = v.Field, Description = v.Description }));
        error.Reasons.AddRange(mapped.PolicyReasons.Select(r => new Protos.V1.PolicyReason { Code = r.Code, Field = r.Field, Message = r.Message }));
        return error;
    }

    /// <summary>A status code as gRPC spells it (INVALID_ARGUMENT).</summary>
    public static string CodeName(StatusCode code) =>
        string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString())).ToUpperInvariant();

    /// <summary>
    /// The request field a policy reason is about, as its proto field name ("validity" is
    /// validity_seconds; an option's name stays in the description); "caller" is the caller itself.
    /// </summary>
    private static string FieldPath(string field) => field switch
    {
        "validity" => "validity_seconds",
        "options" => "critical_options",
        _ when field.StartsWith("critical_options.", StringComparison.Ordinal) => "critical_options",
        _ when field.StartsWith("extensions.", StringComparison.Ordinal) => "extensions",
        _ => field,
    };

    /// <summary>One row of the table.</summary>
    internal sealed record Mapped(StatusCode Code, string Reason, string Message)
    {
        public IReadOnlyList<FieldViolation> Violations { get; init; } = [];

        public IReadOnlyList<Policy.PolicyReason> PolicyReasons { get; init; } = [];

        public HsmErrorKind? Kind { get; init; }
    }
}
