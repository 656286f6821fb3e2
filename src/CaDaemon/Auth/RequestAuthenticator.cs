using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Step 1 of the pipeline for every call: an explicit credential in the <c>authorization</c>
/// header (<c>Bearer</c> ID token, <c>Bootstrap</c> one-time token) when present, otherwise the
/// connection's own identity (client certificate, operator socket peer). No credential: UNAUTHENTICATED.
/// </summary>
public sealed partial class RequestAuthenticator(IAuditStore audit, TimeProvider time, ILogger<RequestAuthenticator> logger, OidcTokenValidator? oidc = null)
{
    /// <summary>The caller; throws UNAUTHENTICATED with a reason (never the credential) when there is none.</summary>
    public async Task<CallerIdentity> AuthenticateAsync(ServerCallContext context, bool allowBootstrap)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return CallerAuthenticator.Authenticate(http)
                ?? throw Unauthenticated("no credential: present a client certificate, an ID token (authorization: Bearer) or a bootstrap token, or use the operator socket");
        }

        if (header.Length > 16 * 1024)
        {
            throw Unauthenticated("the authorization header is longer than 16 KiB");
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? header[..space] : header;
        var credential = space > 0 ? header[(space + 1)..].Trim() : string.Empty;
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            if (oidc is null)
            {
                throw Unauthenticated("SSO login is not configured on this CA (no oidc section)");
            }

            var (caller, refusal) = await oidc.ValidateAsync(credential, context.CancellationToken).ConfigureAwait(false);
            if (caller is null)
            {
                LogIdTokenRefused(logger, context.Peer, refusal!);
                throw Unauthenticated(refusal!);
            }

            return caller;
        }

        if (scheme.Equals("Bootstrap", StringComparison.OrdinalIgnoreCase))
        {
            if (!allowBootstrap)
            {
                throw Unauthenticated("a bootstrap token is accepted only by SignHostCertificate");
            }

            var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
            if (BootstrapTokenFormat.Parse(credential) is not { } parsed)
            {
                await audit.RecordAuthEventAsync(new AuthEvent(now, "bootstrap-token-used", "malformed", "bootstrap", context.Peer, "refused", "not a bootstrap token"), CancellationToken.None).ConfigureAwait(false);
                throw Unauthenticated("not a bootstrap token (expected shcbt_<id>_<secret>)");
            }

            var redemption = await audit.RedeemBootstrapTokenAsync(parsed.Id, parsed.SecretSha256, now, context.Peer, CancellationToken.None).ConfigureAwait(false);
            if (!redemption.Accepted)
            {
                LogBootstrapRefused(logger, parsed.Id, context.Peer, redemption.Refusal!);
                throw Unauthenticated($"bootstrap token {parsed.Id}: {redemption.Refusal}");
            }

            return new CallerIdentity { Method = AuthMethod.BootstrapToken, Name = "bootstrap:" + parsed.Id, BoundHostNames = redemption.HostNames! };
        }

        throw Unauthenticated($"unknown authorization scheme '{(scheme.Length > 20 ? scheme[..20] : scheme)}' (Bearer or Bootstrap)");
    }

    /// <summary>Operators: the Unix socket peer, nobody else.</summary>
    public async Task<CallerIdentity> RequireOperatorAsync(ServerCallContext context, string what)
    {
        var caller = await AuthenticateAsync(context, allowBootstrap: false).ConfigureAwait(false);
        return caller.Method == AuthMethod.UnixSocket
            ? caller
            : throw new RpcException(new Status(StatusCode.PermissionDenied, $"{what} is for operators on the Unix socket"));
    }

    private static RpcException Unauthenticated(string why) => new(new Status(StatusCode.Unauthenticated, why));

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "ID token from {Peer} refused: {Reason}")]
    private static partial void LogIdTokenRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "bootstrap token {TokenId} from {Peer} refused: {Reason}")]
    private static partial void LogBootstrapRefused(ILogger logger, string tokenId, string peer, string reason);
}
