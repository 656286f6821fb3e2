using System.Security.Cryptography;
using Prometheus;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// The issuing pipeline, in one place and in DESIGN.md's order: (the caller is authenticated and
/// the request parsed before this) policy → reserve a serial (no durable write) → sign once on
/// the hardware (the backend verifies the signature in software) → commit the audit record
/// durably → return. A failure after the reservation leaves a failed record and no certificate.
/// </summary>
internal sealed class IssuingPipeline
{
    private readonly PolicyHolder _policy;
    private readonly CaKeySet _keys;
    private readonly ICertificateStore _audit;
    private readonly TimeProvider _time;
    private readonly RandomNumberGenerator _random;
    private readonly CaMetrics _metrics;
    private readonly IssuanceEvents _events;
    private readonly ICredentialRedeemer _credentials;
    private readonly SecurityKeys.SecurityKeyEnrollment? _securityKeys;

    /// <summary>Creates the pipeline over its parts; <paramref name="credentials"/> uses one-time credentials (bootstrap tokens).</summary>
    public IssuingPipeline(PolicyHolder policy, CaKeySet keys, ICertificateStore audit, ICredentialRedeemer credentials, TimeProvider time, RandomNumberGenerator random, CaMetrics metrics, ILogger<IssuingPipeline> logger, JournalAuditEvents? journal = null, SecurityKeys.SecurityKeyEnrollment? securityKeys = null)
    {
        _credentials = credentials;
        _securityKeys = securityKeys;
        _policy = policy;
        _keys = keys;
        _audit = audit;
        _time = time;
        _random = random;
        _metrics = metrics;
        _events = new IssuanceEvents(metrics, logger, journal);
    }

    /// <summary>Policy for one request (a denial is counted, logged and sent to the journal here).</summary>
    public PolicyDecision Decide(CallerIdentity caller, CertificateRequest request)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var decision = _policy.Current.Evaluate(caller, request, _time.GetUtcNow());
        if (decision is Deny deny)
        {
            _events.Denied(caller, request, deny);
        }

        return decision;
    }

    /// <summary>What policy would decide, role by role (ExplainPolicy): nothing is counted or issued.</summary>
    public async Task<PolicyExplanation> ExplainAsync(CallerIdentity caller, CertificateRequest request, CancellationToken cancellationToken) =>
        _policy.Current.Explain(caller, await AttestedAsync(request, cancellationToken).ConfigureAwait(false), _time.GetUtcNow());

    /// <summary>
    /// The request with what the subject key's enrollment proved (issue 29), from the records only:
    /// a security key looks its enrollment up, any other key costs nothing.
    /// </summary>
    public async Task<CertificateRequest> AttestedAsync(CertificateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _securityKeys is null || !request.PublicKey.IsSecurityKey
            ? request with { Attestation = null }
            : request with { Attestation = await _securityKeys.AttestationOfAsync(request.PublicKey, cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>
    /// Several certificates for one caller, all or none past policy: every request is decided
    /// first (one denial issues nothing and leaves a one-time credential unused), then the
    /// caller's one-time credential is used (a bootstrap token), then each is issued.
    /// </summary>
    /// <exception cref="PolicyDeniedException">Policy refused one of the requests.</exception>
    /// <exception cref="HsmException">The CA key's device failed.</exception>
    public async Task<IReadOnlyList<(SshCertificate Certificate, AgentRestriction? Agent)>> IssueAllAsync(CallerIdentity caller, string sourceAddress, IReadOnlyList<CertificateRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var allowed = new Allow[requests.Count];
        var attested = new CertificateRequest[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            attested[i] = await AttestedAsync(requests[i], cancellationToken).ConfigureAwait(false);
            allowed[i] = Decide(caller, attested[i]) switch
            {
                Deny deny => throw new PolicyDeniedException(deny),
                var allow => (Allow)allow,
            };
        }

        var use = await _credentials.UseAsync(caller, sourceAddress, cancellationToken).ConfigureAwait(false);
        await using (use.ConfigureAwait(false))
        {
            var issued = new List<(SshCertificate, AgentRestriction?)>(requests.Count);
            for (var i = 0; i < requests.Count; i++)
            {
                issued.Add((await IssueAllowedAsync(caller, sourceAddress, attested[i], allowed[i], cancellationToken).ConfigureAwait(false), allowed[i].Agent));
                use.Complete();
            }

            return issued;
        }
    }

    /// <summary>
    /// Reserves the serial, signs once, verifies, commits the record (its one durable write): a request
    /// that policy allowed (<see cref="Decide"/>).
    /// </summary>
    /// <exception cref="HsmException">The CA key's device failed (the attempt is recorded as failed).</exception>
    public async Task<SshCertificate> IssueAllowedAsync(CallerIdentity caller, string sourceAddress, CertificateRequest request, Allow allow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(allow);
        var now = _time.GetUtcNow();
        var subjectFingerprint = request.PublicKey.GetSha256Fingerprint();
        var template = allow.Template;
        var ca = _keys.For(request.Type);
        var serial = await _audit.ReserveAsync(new AuditRecord
        {
            Serial = 0,
            Fields = template,
            SubjectKeyFingerprint = subjectFingerprint,
            CaKeyFingerprint = ca.PublicKey.GetSha256Fingerprint(),
            Caller = caller.Name,
            AuthMethod = caller.Method,
            SourceAddress = sourceAddress,
            RequestId = request.RequestId,
            CreatedAt = (ulong)now.ToUnixTimeSeconds(),
            Outcome = AuditOutcome.Pending,
        }, cancellationToken).ConfigureAwait(false);

        SshCertificate certificate;
        try
        {
            var builder = new SshCertificateBuilder
            {
                PublicKey = request.PublicKey,
                SignatureKey = ca.PublicKey,
                Nonce = SshCertificateBuilder.CreateNonce(_random),
                Serial = serial,
                Fields = template,
            };
            var tbs = builder.EncodeToBeSigned();
            SshHsmCa.Ssh.Signatures.SshSignature signature;
            // Touch prompts (the one route, TouchPrompts) are counted here and passed on to the
            // caller's own observer (a batch streams them to the operator).
            var outer = TouchPrompts.Capture();
            using (TouchPrompts.Observe(message =>
            {
                _metrics.TouchPrompts.WithLabels(request.TypeName).Inc();
                outer?.Invoke(message);
            }))
            using (_metrics.SignatureSeconds.WithLabels(request.TypeName).NewTimer())
            {
                signature = await ca.SignAsync(tbs, cancellationToken).ConfigureAwait(false);
            }

            certificate = SshCertificateBuilder.Assemble(tbs, signature);
        }
        catch (Exception e)
        {
            // CancellationToken.None: the failure must be recorded even when the caller gave up.
            await _audit.CommitFailedAsync(serial, e is HsmException h ? $"{h.Kind}: {h.Message}" : e.GetType().Name + ": " + e.Message, CancellationToken.None).ConfigureAwait(false);
            _events.Failed(caller, request, serial, template, e);
            throw;
        }

        await _audit.CommitIssuedAsync(serial, certificate.ToOpenSshLine(), CancellationToken.None).ConfigureAwait(false);
        _events.Issued(caller, request, serial, template);
        return certificate;
    }
}
