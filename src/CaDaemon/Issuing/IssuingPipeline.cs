using System.Security.Cryptography;
using Prometheus;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// The issuing pipeline, in one place and in DESIGN.md's order: (the caller is authenticated and
/// the request parsed before this) policy → reserve a serial and write the intent → sign once on
/// the hardware (the backend verifies the signature in software) → commit the audit record
/// durably → return. A failure after the reservation leaves a failed record and no certificate.
/// </summary>
public sealed partial class IssuingPipeline(
    PolicyHolder policy,
    ICaKey userCa,
    ICaKey hostCa,
    IAuditStore audit,
    TimeProvider time,
    RandomNumberGenerator random,
    CaMetrics metrics,
    ILogger<IssuingPipeline> logger,
    JournalAuditEvents? journal = null)
{
    /// <summary>The user CA key.</summary>
    public ICaKey UserCa => userCa;

    /// <summary>The host CA key.</summary>
    public ICaKey HostCa => hostCa;

    /// <summary>The policy holder (for explanations and reloads).</summary>
    public PolicyHolder Policy => policy;

    /// <summary>Policy for one request (a denial is counted, logged and sent to the journal here).</summary>
    public PolicyDecision Decide(CallerIdentity caller, CertificateRequest request)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var decision = policy.Current.Evaluate(caller, request, time.GetUtcNow());
        if (decision is Deny deny)
        {
            var subjectFingerprint = request.PublicKey.GetSha256Fingerprint();
            metrics.Denied.WithLabels(request.TypeName).Inc();
            journal?.Send(4, $"denied {request.TypeName} certificate to {caller.Name}", Fields(caller, request, subjectFingerprint, "denied", null, null, string.Join("; ", deny.Reasons.Select(r => r.Code))));
            if (logger.IsEnabled(LogLevel.Warning))
            {
                LogDenied(logger, caller.Name, caller.Method, request.TypeName, string.Join("; ", deny.Reasons));
            }

        }

        return decision;
    }

    /// <summary>
    /// Reserves the serial and writes the audit intent, signs once, verifies, commits: a request
    /// that policy allowed (<see cref="Decide"/>).
    /// </summary>
    /// <exception cref="HsmException">The CA key's device failed (the attempt is recorded as failed).</exception>
    public async Task<SshCertificate> IssueAllowedAsync(CallerIdentity caller, string sourceAddress, CertificateRequest request, Allow allow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(allow);
        var now = time.GetUtcNow();
        var subjectFingerprint = request.PublicKey.GetSha256Fingerprint();
        var template = allow.Template;
        var ca = request.Type == SshCertificateType.User ? userCa : hostCa;
        var serial = await audit.ReserveAsync(new AuditRecord
        {
            Serial = 0,
            Type = request.TypeName,
            KeyId = template.KeyId,
            Principals = template.Principals,
            ValidAfter = template.ValidAfter,
            ValidBefore = template.ValidBefore,
            CriticalOptions = [.. template.CriticalOptions.Select(o => o.ToString())],
            Extensions = [.. template.Extensions.Select(o => o.ToString())],
            SubjectKeyFingerprint = subjectFingerprint,
            CaKeyFingerprint = ca.PublicKey.GetSha256Fingerprint(),
            Caller = caller.Name,
            AuthMethod = AuthMethods.Name(caller.Method),
            SourceAddress = sourceAddress,
            RequestId = request.RequestId,
            CreatedAt = (ulong)now.ToUnixTimeSeconds(),
            Outcome = "pending",
        }, cancellationToken).ConfigureAwait(false);

        SshCertificate certificate;
        try
        {
            var builder = new SshCertificateBuilder
            {
                PublicKey = request.PublicKey,
                SignatureKey = ca.PublicKey,
                Nonce = SshCertificateBuilder.CreateNonce(random),
                Serial = serial,
                Type = template.Type,
                KeyId = template.KeyId,
                Principals = template.Principals,
                ValidAfter = template.ValidAfter,
                ValidBefore = template.ValidBefore,
                CriticalOptions = template.CriticalOptions,
                Extensions = template.Extensions,
            };
            var tbs = builder.EncodeToBeSigned();
            SshHsmCa.Ssh.Signatures.SshSignature signature;
            using (metrics.SignatureSeconds.WithLabels(request.TypeName).NewTimer())
            {
                signature = await ca.SignAsync(tbs, cancellationToken).ConfigureAwait(false);
            }

            certificate = SshCertificateBuilder.Assemble(tbs, signature);
        }
        catch (Exception e)
        {
            metrics.Failures.WithLabels(e is HsmException hsm ? hsm.Kind.ToString() : "internal").Inc();

            // CancellationToken.None: the failure must be recorded even when the caller gave up.
            await audit.CommitFailedAsync(serial, e is HsmException h ? $"{h.Kind}: {h.Message}" : e.GetType().Name + ": " + e.Message, CancellationToken.None).ConfigureAwait(false);
            LogFailed(logger, serial, caller.Name, e.Message);
            journal?.Send(3, $"serial {serial} for {caller.Name} failed", Fields(caller, request, subjectFingerprint, "failed", serial, template, e is HsmException k ? k.Kind.ToString() : e.GetType().Name));
            throw;
        }

        await audit.CommitIssuedAsync(serial, certificate.ToOpenSshLine(), CancellationToken.None).ConfigureAwait(false);
        metrics.Issued.WithLabels(request.TypeName).Inc();
        journal?.Send(6, $"issued serial {serial} key id {template.KeyId}", Fields(caller, request, subjectFingerprint, "issued", serial, template, null));
        LogIssued(logger, serial, template.KeyId, template.Principals, caller.Name, caller.Method);
        return certificate;
    }

    private static IEnumerable<(string, string)> Fields(CallerIdentity caller, CertificateRequest request, string subjectFingerprint, string outcome, ulong? serial, CertificateTemplate? template, string? reason)
    {
        yield return ("OUTCOME", outcome);
        yield return ("CERT_TYPE", request.TypeName);
        yield return ("CALLER", caller.Name);
        yield return ("AUTH_METHOD", AuthMethods.Name(caller.Method));
        yield return ("SUBJECT_KEY", subjectFingerprint);
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
