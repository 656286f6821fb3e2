using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// The one observer of an issuing outcome (denied, failed, issued): the Prometheus counters, the
/// journald event with its structured fields and the log line, from the same facts, so the three
/// never disagree. The audit store is the record; these are views of it.
/// </summary>
internal sealed partial class IssuanceEvents(CaMetrics metrics, ILogger<IssuingPipeline> logger, JournalAuditEvents? journal)
{
    public void Denied(CallerIdentity caller, CertificateRequest request, Deny deny)
    {
        metrics.Denied.WithLabels(request.TypeName).Inc();
        journal?.Send(4, $"denied {request.TypeName} certificate to {caller.Name}", Fields(caller, request, "denied", null, null, string.Join("; ", deny.Reasons.Select(r => r.Code))));
        if (logger.IsEnabled(LogLevel.Warning))
        {
            LogDenied(logger, caller.Name, caller.Method, request.TypeName, string.Join("; ", deny.Reasons));
        }
    }

    public void Failed(CallerIdentity caller, CertificateRequest request, ulong serial, SshCertificateFields template, Exception failure)
    {
        var kind = failure is HsmException hsm ? hsm.Kind.ToString() : failure.GetType().Name;
        metrics.Failures.WithLabels(failure is HsmException ? kind : "internal").Inc();
        LogFailed(logger, serial, caller.Name, failure.Message);
        journal?.Send(3, $"serial {serial} for {caller.Name} failed", Fields(caller, request, "failed", serial, template, kind));
    }

    public void Issued(CallerIdentity caller, CertificateRequest request, ulong serial, SshCertificateFields template)
    {
        metrics.Issued.WithLabels(request.TypeName).Inc();
        journal?.Send(6, $"issued serial {serial} key id {template.KeyId}", Fields(caller, request, "issued", serial, template, null));
        LogIssued(logger, serial, template.KeyId, template.Principals, caller.Name, caller.Method);
    }

    private static IEnumerable<(string, string)> Fields(CallerIdentity caller, CertificateRequest request, string outcome, ulong? serial, SshCertificateFields? template, string? reason)
    {
        yield return ("OUTCOME", outcome);
        yield return ("CERT_TYPE", request.TypeName);
        yield return ("CALLER", caller.Name);
        yield return ("AUTH_METHOD", AuthMethods.Name(caller.Method));
        yield return ("SUBJECT_KEY", request.PublicKey.GetSha256Fingerprint());
        yield return ("REQUEST_ID", request.RequestId);
        if (serial is { } s)
        {
            yield return ("CERT_SERIAL", s.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (template is not null)
        {
            yield return ("CERT_KEY_ID", template.KeyId);
            yield return ("CERT_PRINCIPALS", string.Join(',', template.Principals));
            yield return ("CERT_VALID_BEFORE", template.ValidBefore.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (reason is not null)
        {
            yield return ("REASON", reason);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "issued serial {Serial} key id {KeyId} principals {Principals} to {Caller} ({Method})")]
    private static partial void LogIssued(ILogger logger, ulong serial, string keyId, IReadOnlyList<string> principals, string caller, AuthMethod method);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "denied {Type} certificate to {Caller} ({Method}): {Reasons}")]
    private static partial void LogDenied(ILogger logger, string caller, AuthMethod method, string type, string reasons);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "serial {Serial} for {Caller} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, ulong serial, string caller, string reason);
}
