using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Ceremony;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Hosts;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using ProtoAuditRecord = SshHsmCa.Protos.V1.AuditRecord;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>Translates the public API to the issuing pipeline and the audit store, nothing more.</summary>
internal sealed partial class CaGrpcService(IssuingPipeline pipeline, CaKeySet keys, ICertificateStore audit, IRevocationStore revocationStore, RequestAuthenticator authenticator, HostEnrollment hosts, PivCeremony ceremony, Revocation.Revocations revocations, Revocation.KrlPublisher krls, Trust.TrustPublisher trust, Trust.IConfigurationReloader reloader, TlsRoot tlsRoot, SecurityKeys.SecurityKeyEnrollment securityKeys, ISecurityKeyStore securityKeyStore, Transparency.IssuanceLog issuanceLog, Transparency.LogAuditor logAuditor) : CertificateAuthorityService.CertificateAuthorityServiceBase
{
    /// <inheritdoc />
    public override async Task<SignUserCertificateResponse> SignUserCertificate(SignUserCertificateRequest request, ServerCallContext context) =>
        new() { Certificate = await IssueAsync(await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: false, context.CancellationToken).ConfigureAwait(false), RequestParser.ParseUser(request), context).ConfigureAwait(false) };

    /// <inheritdoc />
    public override async Task<SignHostCertificateResponse> SignHostCertificate(SignHostCertificateRequest request, ServerCallContext context)
    {
        var parsed = RequestParser.ParseHost(request);
        var caller = await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: true, context.CancellationToken).ConfigureAwait(false);
        return new() { Certificate = await IssueAsync(caller, parsed, context).ConfigureAwait(false) };
    }

    /// <inheritdoc />
    public override async Task<GetCaPublicKeysResponse> GetCaPublicKeys(GetCaPublicKeysRequest request, ServerCallContext context)
    {
        var pattern = RequestParser.ParseHostPattern(request);
        return ToProto(pattern, await trust.LatestAsync(context.CancellationToken).ConfigureAwait(false));
    }

    /// <summary>The CA's keys as GetCaPublicKeys answers them: this appliance's signing keys, and every key in force by the trust set.</summary>
    private GetCaPublicKeysResponse ToProto(string pattern, Ssh.Trust.TrustSet set)
    {
        var response = new GetCaPublicKeysResponse
        {
            UserCaPublicKey = Ssh.Trust.TrustLines.UserCaKey(keys.User.PublicKey),
            HostCaPublicKey = Ssh.Trust.TrustLines.HostCaKey(keys.Host.PublicKey),
            KnownHostsLine = Ssh.Trust.TrustLines.CertAuthority(pattern, keys.Host.PublicKey),
            UserCaAttestationPem = AttestationPems.Of(keys.User),
            HostCaAttestationPem = AttestationPems.Of(keys.Host),
            TlsRootPem = tlsRoot.Pem,
            TrustedUserCaKeys = Ssh.Trust.TrustLines.UserCaKeys(set.Trusted(Ssh.Certificates.SshCertificateType.User)),
            KnownHosts = Ssh.Trust.TrustLines.KnownHosts(pattern, set.Trusted(Ssh.Certificates.SshCertificateType.Host)),
        };
        response.Keys.AddRange(KeysAsTrustedBy(set));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ExplainPolicyResponse> ExplainPolicy(ExplainPolicyRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: false, context.CancellationToken).ConfigureAwait(false);
        var parsed = request.RequestCase == ExplainPolicyRequest.RequestOneofCase.Host ? RequestParser.ParseHost(request.Host) : RequestParser.ParseUser(request.User ?? new SignUserCertificateRequest());
        return ToProto(await pipeline.ExplainAsync(caller, parsed, context.CancellationToken).ConfigureAwait(false));
    }

    private static ExplainPolicyResponse ToProto(PolicyExplanation explanation)
    {
        var response = new ExplainPolicyResponse { Allowed = explanation.Decision.IsAllowed };
        if (explanation.Decision is Allow allow)
        {
            response.Principals.AddRange(allow.Template.Principals);
            response.ValidAfter = allow.Template.ValidAfter;
            response.ValidBefore = allow.Template.ValidBefore;
            response.KeyId = allow.Template.KeyId;
            response.CriticalOptions.AddRange(allow.Template.CriticalOptions.Select(ToProto));
            response.Extensions.AddRange(allow.Template.Extensions.Select(ToProto));
        }
        else if (explanation.Decision is Deny deny)
        {
            response.Reasons.AddRange(deny.Reasons.Select(r => new Protos.V1.PolicyReason { Code = r.Code, Field = r.Field, Message = r.Message }));
        }

        response.Roles.AddRange(explanation.Roles.Select(r => new Protos.V1.RoleExplanation { Role = r.Role, Matched = r.Matched, Applied = r.Applied, Detail = r.Why }));
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetCertificateResponse> GetCertificate(GetCertificateRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var record = await audit.GetAsync(request.Serial, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RefusedException(Refusal.CertificateNotFound, $"no certificate with serial {request.Serial}");
        return new GetCertificateResponse { Record = await WithRevocationAsync(record, context.CancellationToken).ConfigureAwait(false) };
    }

    /// <inheritdoc />
    public override async Task<ListCertificatesResponse> ListCertificates(ListCertificatesRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var (size, before) = Page(request.PageSize, request.PageToken);
        return ToProto(await CertificatePages.ListAsync(audit, revocationStore, request.Principal, request.Caller, before, size, context.CancellationToken).ConfigureAwait(false));
    }

    private static ListCertificatesResponse ToProto(Page<(Audit.AuditRecord Record, RevocationRecord? Revocation)> page)
    {
        var response = new ListCertificatesResponse { NextPageToken = page.HasMore ? page.Items[^1].Record.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty };
        response.Records.AddRange(page.Items.Select(r => WithRevocation(r.Record, r.Revocation)));
        return response;
    }

    private async Task<IssuedCertificate> IssueAsync(CallerIdentity caller, CertificateRequest request, ServerCallContext context) =>
        (await IssueAllAsync(caller, [request], context).ConfigureAwait(false))[0];

    /// <summary>The pipeline's all-or-none issuance, with the caller's bootstrap token (if any) as its one-time credential.</summary>
    private async Task<List<IssuedCertificate>> IssueAllAsync(CallerIdentity caller, IReadOnlyList<CertificateRequest> requests, ServerCallContext context)
    {
        var issued = await pipeline.IssueAllAsync(caller, context.Peer, requests, context.CancellationToken).ConfigureAwait(false);
        return [.. issued.Select(i => ToProto(i.Certificate, i.Agent))];
    }

    private static CertificateOption ToProto(Ssh.Certificates.SshOption option) =>
        new() { Name = option.Name, Value = option.GetStringValue() ?? string.Empty };

    private static IssuedCertificate ToProto(Ssh.Certificates.SshCertificate certificate, Policy.AgentRestriction? agent)
    {
        var response = ToProto(certificate);
        if (agent is not null)
        {
            response.AgentRestriction = new Protos.V1.AgentRestriction { AllowUnrestricted = agent.AllowUnrestricted, Hops = { agent.Hops.Select(h => new Protos.V1.AgentHop { FromHost = h.From, ToHost = h.To }) } };
        }

        return response;
    }

    private static IssuedCertificate ToProto(Ssh.Certificates.SshCertificate certificate)
    {
        var response = new IssuedCertificate
        {
            Certificate = certificate.ToOpenSshLine(),
            Serial = certificate.Serial,
            ValidAfter = certificate.ValidAfter,
            ValidBefore = certificate.ValidBefore,
            KeyId = certificate.KeyId,
        };
        response.Principals.AddRange(certificate.Principals);
        return response;
    }

    /// <summary>The record with the revocation that covers it, if any.</summary>
    private async Task<ProtoAuditRecord> WithRevocationAsync(Audit.AuditRecord record, CancellationToken cancellationToken) =>
        WithRevocation(record, record.Outcome == AuditOutcome.Issued ? await revocationStore.FindRevocationAsync(record.Serial, record.Type, record.SubjectKeyFingerprint, record.CaKeyFingerprint, cancellationToken).ConfigureAwait(false) : null);

    private static ProtoAuditRecord WithRevocation(Audit.AuditRecord record, Audit.RevocationRecord? revocation)
    {
        var proto = ToProto(record);
        if (revocation is not null)
        {
            proto.Revocation = ToProto(revocation);
        }

        return proto;
    }

    private static ProtoAuditRecord ToProto(Audit.AuditRecord record)
    {
        var proto = new ProtoAuditRecord
        {
            Serial = record.Serial,
            Type = AuditNames.Name(record.Type),
            KeyId = record.Fields.KeyId,
            ValidAfter = record.Fields.ValidAfter,
            ValidBefore = record.Fields.ValidBefore,
            SubjectKeyFingerprint = record.SubjectKeyFingerprint,
            CaKeyFingerprint = record.CaKeyFingerprint,
            Caller = record.Caller,
            AuthMethod = AuthMethods.Name(record.AuthMethod),
            SourceAddress = record.SourceAddress,
            RequestId = record.RequestId,
            CreatedAt = record.CreatedAt,
            Outcome = AuditNames.Name(record.Outcome),
            Failure = record.Failure ?? string.Empty,
            Certificate = record.Certificate ?? string.Empty,
        };
        proto.Principals.AddRange(record.Fields.Principals);
        return proto;
    }
}
