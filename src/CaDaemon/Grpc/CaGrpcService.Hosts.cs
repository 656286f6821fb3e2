using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>SSO settings, bootstrap tokens and host renewal.</summary>
public sealed partial class CaGrpcService
{
    private const ulong MaxBootstrapValidity = 7 * 24 * 3600;

    /// <inheritdoc />
    public override Task<GetLoginSettingsResponse> GetLoginSettings(GetLoginSettingsRequest request, ServerCallContext context)
    {
        var response = new GetLoginSettingsResponse();
        if (options.Oidc is { } oidc)
        {
            response.Issuer = oidc.Issuer;
            response.ClientId = oidc.ClientId;
            response.Scopes.AddRange(oidc.Scopes);
        }

        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override async Task<CreateBootstrapTokenResponse> CreateBootstrapToken(CreateBootstrapTokenRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthorizeAsync(context, OperatorRight.Tokens).ConfigureAwait(false);
        if (request.HostNames.Count is 0 or > 32)
        {
            throw RequestParser.Invalid("host_names", "between 1 and 32 host names are needed");
        }

        for (var i = 0; i < request.HostNames.Count; i++)
        {
            if (!IsHostName(request.HostNames[i]))
            {
                throw RequestParser.Invalid($"host_names[{i}]", $"'{Shorten(request.HostNames[i])}' is not a host name or address (letters, digits, '.', '-', ':'; no wildcards; at most 253 characters)");
            }
        }

        var validity = request.ValiditySeconds == 0 ? 3600UL : request.ValiditySeconds;
        if (validity > MaxBootstrapValidity)
        {
            throw RequestParser.Invalid("validity_seconds", $"{request.ValiditySeconds} exceeds 7 days");
        }

        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        var (token, id, hash) = BootstrapTokenFormat.Create(random);
        await audit.CreateBootstrapTokenAsync(new BootstrapTokenRecord(id, hash, [.. request.HostNames], caller.Name, now, now + validity), context.CancellationToken).ConfigureAwait(false);
        return new CreateBootstrapTokenResponse { Token = token, TokenId = id, ExpiresAt = now + validity };
    }

    /// <inheritdoc />
    public override async Task<BootstrapHostResponse> BootstrapHost(BootstrapHostRequest request, ServerCallContext context)
    {
        if (request.PublicKeys.Count is 0 or > 16)
        {
            throw RequestParser.Invalid("public_keys", "between 1 and 16 host keys are needed");
        }

        // Every key parsed and every request through policy before the token is used or anything signed.
        var parsed = new List<CertificateRequest>(request.PublicKeys.Count);
        for (var i = 0; i < request.PublicKeys.Count; i++)
        {
            var single = new SignHostCertificateRequest { PublicKey = request.PublicKeys[i], ValiditySeconds = request.ValiditySeconds, RequestId = request.RequestId };
            single.Principals.AddRange(request.Principals);
            try
            {
                parsed.Add(RequestParser.ParseHost(single));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                throw RequestParser.Invalid($"public_keys[{i}]", e.Status.Detail);
            }
        }

        var caller = await authenticator.AuthenticateAsync(context, allowBootstrap: true).ConfigureAwait(false);
        var response = new BootstrapHostResponse { UserCaPublicKey = pipeline.UserCa.PublicKey.ToOpenSshLine("ssh-hsm-ca user CA") };
        response.Certificates.AddRange(await IssueAllAsync(caller, parsed, context).ConfigureAwait(false));
        return response;
    }

    /// <inheritdoc />
    public override async Task<BeginHostRenewalResponse> BeginHostRenewal(BeginHostRenewalRequest request, ServerCallContext context)
    {
        var certificate = await CheckCurrentHostCertificateAsync(request.Certificate, "certificate", context).ConfigureAwait(false);
        var challenge = challenges.Begin(certificate);
        return new BeginHostRenewalResponse
        {
            ChallengeId = challenge.Id,
            Message = Google.Protobuf.ByteString.CopyFrom(challenge.Message),
            Namespace = RenewalChallenges.Namespace,
            ExpiresAt = challenge.ExpiresAt,
        };
    }

    /// <inheritdoc />
    public override async Task<RenewHostCertificateResponse> RenewHostCertificate(RenewHostCertificateRequest request, ServerCallContext context)
    {
        SshSig proof;
        try
        {
            proof = SshSig.ParseArmored(request.Signature);
        }
        catch (SshFormatException e)
        {
            throw RequestParser.Invalid("signature", e.Message);
        }

        const string Expired = "unknown, used or expired challenge: call BeginHostRenewal again";
        var serial = challenges.SerialOf(request.ChallengeId) ?? throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, Expired);
        var record = await audit.GetAsync(serial, context.CancellationToken).ConfigureAwait(false);
        if (record is not { Outcome: "issued", Certificate: { } line })
        {
            throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, Expired);
        }

        var certificate = await CheckCurrentHostCertificateAsync(line, "challenge_id", context).ConfigureAwait(false);
        var challenge = challenges.Open(request.ChallengeId, certificate) ?? throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, Expired);
        if (!proof.Verifies(certificate.PublicKey, RenewalChallenges.Namespace, challenge.Message))
        {
            throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, $"the signature is not by the certificate's key ({certificate.PublicKey.GetSha256Fingerprint()}) over the challenge in namespace {RenewalChallenges.Namespace}");
        }

        if (!challenges.TryUse(challenge))
        {
            throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, Expired);
        }

        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        await audit.RecordAuthEventAsync(new AuthEvent(now, "host-renewal", $"serial {certificate.Serial}", "host:" + certificate.Principals[0], context.Peer, "accepted", string.Join(',', certificate.Principals)), CancellationToken.None).ConfigureAwait(false);
        var caller = new CallerIdentity
        {
            Method = AuthMethod.HostCertificate,
            Name = "host:" + certificate.Principals[0],
            BoundHostNames = certificate.Principals,
            CredentialExpiresAt = certificate.ValidBefore,
        };
        var parsed = RequestParser.ParseHost(new SignHostCertificateRequest
        {
            PublicKey = certificate.PublicKey.ToOpenSshLine(),
            ValiditySeconds = request.ValiditySeconds,
            RequestId = request.RequestId,
        });
        return new RenewHostCertificateResponse { Certificate = await IssueAsync(caller, parsed, context).ConfigureAwait(false) };
    }

    /// <summary>A host certificate this CA issued (recorded in the audit log), signed by the host CA and valid now.</summary>
    private async Task<SshCertificate> CheckCurrentHostCertificateAsync(string line, string field, ServerCallContext context)
    {
        SshCertificate certificate;
        try
        {
            certificate = SshCertificate.ParseLine(line);
        }
        catch (SshFormatException e)
        {
            throw RequestParser.Invalid(field, e.Message);
        }

        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        string? problem = null;
        if (certificate.Type != SshCertificateType.Host)
        {
            problem = "is a user certificate, not a host certificate";
        }
        else if (!certificate.SignatureKey.Equals(pipeline.HostCa.PublicKey) || certificate.VerifySignature() != SignatureVerification.Valid)
        {
            problem = "is not signed by this CA's host key";
        }
        else if (!certificate.IsValidAt(now))
        {
            problem = certificate.ValidBefore <= now ? "has expired; bootstrap the host again" : "is not valid yet";
        }
        else if (certificate.PrincipalCount == 0)
        {
            problem = "names no host";
        }
        else if (await audit.GetAsync(certificate.Serial, context.CancellationToken).ConfigureAwait(false) is not { Outcome: "issued" } record
            || !string.Equals(record.Certificate, certificate.ToOpenSshLine(), StringComparison.Ordinal))
        {
            problem = $"(serial {certificate.Serial}) is not in this CA's audit log";
        }

        return problem is null ? certificate : throw RpcErrors.Unauthenticated(ErrorReasons.RenewalRefused, "the certificate " + problem);
    }

    private static bool IsHostName(string name) =>
        name.Length is > 0 and <= 253 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':') && name[0] != '-' && name[0] != '.';

    private static string Shorten(string text) => text.Length > 64 ? string.Concat(text.AsSpan(0, 64), "…") : text;
}
