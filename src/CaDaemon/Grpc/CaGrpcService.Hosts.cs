using Grpc.Core;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>SSO settings, bootstrap tokens and host renewal (the logic is in <see cref="Hosts.HostEnrollment"/>).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override Task<GetLoginSettingsResponse> GetLoginSettings(GetLoginSettingsRequest request, ServerCallContext context) =>
        Task.FromResult(authenticator.LoginSettings is { } oidc ? new GetLoginSettingsResponse { Issuer = oidc.Issuer, ClientId = oidc.ClientId, Scopes = { oidc.Scopes } } : new GetLoginSettingsResponse());

    /// <inheritdoc />
    public override async Task<CreateBootstrapTokenResponse> CreateBootstrapToken(CreateBootstrapTokenRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Tokens, context.CancellationToken).ConfigureAwait(false);
        var created = await hosts.CreateBootstrapTokenAsync(caller, request.HostNames, request.ValiditySeconds, context.CancellationToken).ConfigureAwait(false);
        return new CreateBootstrapTokenResponse { Token = created.Token, TokenId = created.Id, ExpiresAt = created.ExpiresAt };
    }

    /// <inheritdoc />
    public override async Task<BootstrapHostResponse> BootstrapHost(BootstrapHostRequest request, ServerCallContext context)
    {
        // Every key parsed (and, in the pipeline, every request through policy) before the token is used or anything signed.
        var parsed = RequestParser.ParseBootstrap(request);
        var caller = await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: true, context.CancellationToken).ConfigureAwait(false);
        return new BootstrapHostResponse
        {
            UserCaPublicKey = Ssh.Trust.TrustLines.UserCaKey(keys.User.PublicKey),
            Certificates = { await IssueAllAsync(caller, parsed, context).ConfigureAwait(false) },
        };
    }

    /// <inheritdoc />
    public override async Task<BeginHostRenewalResponse> BeginHostRenewal(BeginHostRenewalRequest request, ServerCallContext context)
    {
        var challenge = await hosts.BeginRenewalAsync(request.Certificate, context.CancellationToken).ConfigureAwait(false);
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
        var proven = await hosts.ProveRenewalAsync(request.ChallengeId, request.Signature, context.Peer, context.CancellationToken).ConfigureAwait(false);
        var parsed = RequestParser.ParseHost(new SignHostCertificateRequest
        {
            PublicKey = proven.Current.PublicKey.ToOpenSshLine(),
            ValiditySeconds = request.ValiditySeconds,
            RequestId = request.RequestId,
        });
        return new RenewHostCertificateResponse { Certificate = await IssueAsync(proven.Caller, parsed, context).ConfigureAwait(false) };
    }
}
