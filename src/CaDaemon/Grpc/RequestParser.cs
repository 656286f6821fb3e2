using Google.Rpc;
using Grpc.Core;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Step 2 of the pipeline: parse and check the request. Every problem becomes a field violation
/// of one INVALID_ARGUMENT status; nothing is signed or recorded.
/// </summary>
internal static class RequestParser
{
    private const int MaxPrincipals = SshLimits.MaxPrincipals;
    private const int MaxOptions = 32;

    public static CertificateRequest ParseUser(SignUserCertificateRequest request)
    {
        var violations = new List<BadRequest.Types.FieldViolation>();
        var key = ParseKey(request.PublicKey, violations);
        var principals = Principals(request.Principals, violations);
        var critical = Options(request.CriticalOptions, "critical_options", violations);
        var extensions = request.ExactExtensions ? Options(request.Extensions, "extensions", violations) : null;
        if (!request.ExactExtensions && request.Extensions.Count > 0)
        {
            violations.Add(new() { Field = "extensions", Description = "listed without exact_extensions: set exact_extensions to ask for exactly these, or leave the list empty for the policy's defaults" });
        }

        var validity = Validity(request.ValiditySeconds, violations);
        var requestId = RequestId(request.RequestId, violations);
        ThrowIfAny(violations);
        return new CertificateRequest
        {
            Type = SshCertificateType.User,
            PublicKey = key!,
            Principals = principals,
            Validity = validity,
            CriticalOptions = critical,
            Extensions = extensions,
            RequestId = requestId,
        };
    }

    public static CertificateRequest ParseHost(SignHostCertificateRequest request)
    {
        var violations = new List<BadRequest.Types.FieldViolation>();
        var key = ParseKey(request.PublicKey, violations);
        var principals = Principals(request.Principals, violations);
        var validity = Validity(request.ValiditySeconds, violations);
        var requestId = RequestId(request.RequestId, violations);
        ThrowIfAny(violations);
        return new CertificateRequest { Type = SshCertificateType.Host, PublicKey = key!, Principals = principals, Validity = validity, RequestId = requestId };
    }

    public static RpcException Invalid(string field, string description) =>
        RpcErrors.Create(StatusCode.InvalidArgument, ErrorReasons.InvalidRequest, $"{field}: {description}", new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } });

    public static RpcException Denied(Deny deny)
    {
        var failure = new PreconditionFailure();
        foreach (var reason in deny.Reasons)
        {
            failure.Violations.Add(new PreconditionFailure.Types.Violation { Type = reason.Code, Subject = FieldPath(reason.Field), Description = reason.Message });
        }

        var errorReason = deny.Reasons.All(r => r.Code == ReasonCodes.PermissionNotGranted) ? ErrorReasons.OperatorRightMissing : ErrorReasons.PolicyDenied;
        return RpcErrors.Create(StatusCode.PermissionDenied, errorReason, "denied by policy: " + string.Join("; ", deny.Reasons.Select(r => r.Message)), failure);
    }

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

    private static SshPublicKey? ParseKey(string line, List<BadRequest.Types.FieldViolation> violations)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            violations.Add(new() { Field = "public_key", Description = "required: an OpenSSH public key line" });
            return null;
        }

        try
        {
            return SshPublicKey.ParseLine(line);
        }
        catch (SshFormatException e)
        {
            violations.Add(new() { Field = "public_key", Description = e.Message });
            return null;
        }
    }

    private static string[] Principals(Google.Protobuf.Collections.RepeatedField<string> principals, List<BadRequest.Types.FieldViolation> violations)
    {
        if (principals.Count > MaxPrincipals)
        {
            violations.Add(new() { Field = "principals", Description = $"{principals.Count} principals; at most {MaxPrincipals}" });
            return [];
        }

        foreach (var principal in principals)
        {
            if (principal.Length is 0 or > 255 || principal.Any(char.IsControl))
            {
                violations.Add(new() { Field = "principals", Description = "a principal is empty, longer than 255 or contains control characters" });
                break;
            }
        }

        return [.. principals];
    }

    private static Dictionary<string, string?> Options(Google.Protobuf.Collections.RepeatedField<CertificateOption> options, string field, List<BadRequest.Types.FieldViolation> violations)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (options.Count > MaxOptions)
        {
            violations.Add(new() { Field = field, Description = $"{options.Count} entries; at most {MaxOptions}" });
            return result;
        }

        foreach (var option in options)
        {
            if (option.Name.Length is 0 or > 128 || option.Name.Any(c => c <= ' ' || c >= '\x7f') || option.Value.Length > 4096 || option.Value.Contains('\0', StringComparison.Ordinal))
            {
                violations.Add(new() { Field = $"{field}.{option.Name}", Description = "name must be printable ASCII (1..128), value at most 4096 characters without NUL" });
            }
            else if (!result.TryAdd(option.Name, option.Value.Length == 0 ? null : option.Value))
            {
                violations.Add(new() { Field = $"{field}.{option.Name}", Description = "given twice" });
            }
        }

        return result;
    }

    private static TimeSpan? Validity(ulong seconds, List<BadRequest.Types.FieldViolation> violations)
    {
        if (seconds == 0)
        {
            return null;
        }

        if (seconds > 10UL * 366 * 86400)
        {
            violations.Add(new() { Field = "validity_seconds", Description = "more than ten years" });
            return null;
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static string RequestId(string requestId, List<BadRequest.Types.FieldViolation> violations)
    {
        if (requestId.Length > 64 || requestId.Any(c => c < ' ' || c >= '\x7f'))
        {
            violations.Add(new() { Field = "request_id", Description = "at most 64 printable ASCII characters" });
        }

        return requestId.Length == 0 ? Guid.NewGuid().ToString("N")[..16] : requestId;
    }

    private static void ThrowIfAny(List<BadRequest.Types.FieldViolation> violations)
    {
        if (violations.Count > 0)
        {
            var detail = new BadRequest();
            detail.FieldViolations.AddRange(violations);
            throw RpcErrors.Create(StatusCode.InvalidArgument, ErrorReasons.InvalidRequest, string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")), detail);
        }
    }

}
