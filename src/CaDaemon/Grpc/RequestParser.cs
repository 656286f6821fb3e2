using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Step 2 of the pipeline: parse and check the request. Every problem becomes a field violation
/// of one <see cref="InvalidRequestException"/> (INVALID_ARGUMENT); nothing is signed or recorded.
/// </summary>
internal static class RequestParser
{
    private const int MaxPrincipals = SshLimits.MaxPrincipals;
    private const int MaxOptions = 32;

    public static CertificateRequest ParseUser(SignUserCertificateRequest request)
    {
        var violations = new List<FieldViolation>();
        var key = ParseKey(request.PublicKey, violations);
        var principals = Principals(request.Principals, violations);
        var critical = Options(request.CriticalOptions, "critical_options", violations);
        var extensions = request.ExactExtensions ? Options(request.Extensions, "extensions", violations) : null;
        if (!request.ExactExtensions && request.Extensions.Count > 0)
        {
            violations.Add(new("extensions", "listed without exact_extensions: set exact_extensions to ask for exactly these, or leave the list empty for the policy's defaults"));
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

    /// <summary>
    /// A BootstrapHost request as one host certificate request per key (1 to 16), each with the
    /// request's principals and validity; a bad key is named by its index (public_keys[2].…).
    /// </summary>
    public static IReadOnlyList<CertificateRequest> ParseBootstrap(BootstrapHostRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PublicKeys.Count is 0 or > 16)
        {
            throw new InvalidRequestException("public_keys", "between 1 and 16 host keys are needed");
        }

        return [.. request.PublicKeys.Select((key, i) =>
        {
            try
            {
                return ParseHost(new SignHostCertificateRequest { PublicKey = key, ValiditySeconds = request.ValiditySeconds, RequestId = request.RequestId, Principals = { request.Principals } });
            }
            catch (InvalidRequestException e)
            {
                throw e.Under($"public_keys[{i}]");
            }
        })];
    }

    /// <summary>A batch of 1 to <paramref name="max"/> hosts.</summary>
    public static void CheckBatchSize(int count, int max)
    {
        if (count is 0 || count > max)
        {
            throw new InvalidRequestException("hosts", $"between 1 and {max} hosts are needed, got {count}");
        }
    }

    /// <summary>The host pattern of GetCaPublicKeys' @cert-authority lines ("*" when empty).</summary>
    public static string ParseHostPattern(GetCaPublicKeysRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pattern = string.IsNullOrEmpty(request.KnownHostsPattern) ? "*" : request.KnownHostsPattern;
        return Ssh.Trust.TrustLines.IsHostPattern(pattern) ? pattern : throw new InvalidRequestException("known_hosts_pattern", "must not contain whitespace");
    }

    /// <summary>A certificate serial: non-zero (serials start at 1).</summary>
    public static ulong Serial(ulong serial) => serial != 0 ? serial : throw new InvalidRequestException("serial", "is required (serials start at 1)");

    /// <summary>Two tree sizes of a consistency proof: 1 ≤ first, second 0 (the latest) or ≥ first, both below 2^62.</summary>
    public static (long First, long Second) TreeSizes(ulong first, ulong second)
    {
        const ulong Max = 1UL << 62;
        if (first is 0 or >= Max)
        {
            throw new InvalidRequestException("first", $"{first} is not a tree size (1 or more)");
        }

        return second >= Max || (second != 0 && second < first)
            ? throw new InvalidRequestException("second", $"{second} is not 0 (the latest) or a tree size of at least first ({first})")
            : ((long)first, (long)second);
    }

    /// <summary>A SignHostCertificate request, every field checked; the violations all at once.</summary>
    public static CertificateRequest ParseHost(SignHostCertificateRequest request)
    {
        var violations = new List<FieldViolation>();
        var key = ParseKey(request.PublicKey, violations);
        var principals = Principals(request.Principals, violations);
        var validity = Validity(request.ValiditySeconds, violations);
        var requestId = RequestId(request.RequestId, violations);
        ThrowIfAny(violations);
        return new CertificateRequest { Type = SshCertificateType.Host, PublicKey = key!, Principals = principals, Validity = validity, RequestId = requestId };
    }

    private static SshPublicKey? ParseKey(string line, List<FieldViolation> violations)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            violations.Add(new("public_key", "required: an OpenSSH public key line"));
            return null;
        }

        try
        {
            return SshPublicKey.ParseLine(line);
        }
        catch (SshFormatException e)
        {
            violations.Add(new("public_key", e.Message));
            return null;
        }
    }

    private static string[] Principals(Google.Protobuf.Collections.RepeatedField<string> principals, List<FieldViolation> violations)
    {
        if (principals.Count > MaxPrincipals)
        {
            violations.Add(new("principals", $"{principals.Count} principals; at most {MaxPrincipals}"));
            return [];
        }

        foreach (var principal in principals)
        {
            if (principal.Length is 0 or > 255 || principal.Any(char.IsControl))
            {
                violations.Add(new("principals", "a principal is empty, longer than 255 or contains control characters"));
                break;
            }
        }

        return [.. principals];
    }

    private static Dictionary<string, string?> Options(Google.Protobuf.Collections.RepeatedField<CertificateOption> options, string field, List<FieldViolation> violations)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (options.Count > MaxOptions)
        {
            violations.Add(new(field, $"{options.Count} entries; at most {MaxOptions}"));
            return result;
        }

        foreach (var option in options)
        {
            if (option.Name.Length is 0 or > 128 || option.Name.Any(c => c <= ' ' || c >= '\x7f') || option.Value.Length > 4096 || option.Value.Contains('\0', StringComparison.Ordinal))
            {
                violations.Add(new($"{field}.{option.Name}", "name must be printable ASCII (1..128), value at most 4096 characters without NUL"));
            }
            else if (!result.TryAdd(option.Name, option.Value.Length == 0 ? null : option.Value))
            {
                violations.Add(new($"{field}.{option.Name}", "given twice"));
            }
        }

        return result;
    }

    private static TimeSpan? Validity(ulong seconds, List<FieldViolation> violations)
    {
        if (seconds == 0)
        {
            return null;
        }

        if (seconds > 10UL * 366 * 86400)
        {
            violations.Add(new("validity_seconds", "more than ten years"));
            return null;
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static string RequestId(string requestId, List<FieldViolation> violations)
    {
        if (requestId.Length > 64 || requestId.Any(c => c < ' ' || c >= '\x7f'))
        {
            violations.Add(new("request_id", "at most 64 printable ASCII characters"));
        }

        return requestId.Length == 0 ? Guid.NewGuid().ToString("N")[..16] : requestId;
    }

    private static void ThrowIfAny(List<FieldViolation> violations)
    {
        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }
    }
}
