using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Grpc;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Step 1 of the pipeline for every call: an explicit credential in the <c>authorization</c>
/// header (<c>Bearer</c> ID token, <c>Bootstrap</c> one-time token) when present, otherwise the
/// connection's own identity (client certificate, operator socket peer). No credential: UNAUTHENTICATED.
/// Operator actions are then authorized by the policy's named permissions (<see cref="AuthorizeAsync"/>).
/// A refusal is never written durably here: <see cref="SourceLimitInterceptor"/> counts it.
/// </summary>
internal sealed partial class RequestAuthenticator(IAuditStore audit, PolicyHolder policy, TimeProvider time, ILogger<RequestAuthenticator> logger, OidcTokenValidator? oidc = null)
{
    private const int MaxHeaderLength = 16 * 1024;

    /// <summary>The caller when the call brings a credential (refused as <see cref="AuthenticateAsync"/> refuses), or null for an anonymous call.</summary>
    public async Task<CallerIdentity?> AuthenticateIfPresentAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        return http.Request.Headers.Authorization.Count == 0 && CallerAuthenticator.Authenticate(http) is null
            ? null
            : await AuthenticateAsync(context, allowBootstrap: false).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller; throws UNAUTHENTICATED with a reason (never the credential) when there is none.
    /// A bootstrap token is checked here but not used: <see cref="UseBootstrapTokenAsync"/> uses it
    /// once policy has allowed what it is for.
    /// </summary>
    public async Task<CallerIdentity> AuthenticateAsync(ServerCallContext context, bool allowBootstrap)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return CallerAuthenticator.Authenticate(http)
                ?? throw RpcErrors.Unauthenticated(ErrorReasons.NoCredential, "no credential: present a client certificate, an ID token (authorization: Bearer) or a bootstrap token, or use the operator socket");
        }

        if (header.Length > MaxHeaderLength)
        {
            throw RpcErrors.Unauthenticated(ErrorReasons.MalformedCredential, "the authorization header is longer than 16 KiB");
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? header[..space] : header;
        var credential = space > 0 ? header[(space + 1)..].Trim() : string.Empty;
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            if (oidc is null)
            {
                throw RpcErrors.Unauthenticated(ErrorReasons.SsoNotConfigured, "SSO login is not configured on this CA (no oidc section)");
            }

            var (caller, refusal) = await oidc.ValidateAsync(credential, context.CancellationToken).ConfigureAwait(false);
            return caller ?? throw RpcErrors.Unauthenticated(ErrorReasons.IdTokenRefused, refusal!);
        }

        if (scheme.Equals("Bootstrap", StringComparison.OrdinalIgnoreCase))
        {
            if (!allowBootstrap)
            {
                throw RpcErrors.Unauthenticated(ErrorReasons.BootstrapTokenRefused, "a bootstrap token is accepted only by SignHostCertificate and BootstrapHost");
            }

            var parsed = BootstrapTokenFormat.Parse(credential) ?? throw RpcErrors.Unauthenticated(ErrorReasons.MalformedCredential, "not a bootstrap token (expected shcbt_<id>_<secret>)");
            var check = await audit.CheckBootstrapTokenAsync(parsed.Id, parsed.SecretSha256, Now(), context.CancellationToken).ConfigureAwait(false);
            return check.Accepted
                ? new CallerIdentity { Method = AuthMethod.BootstrapToken, Name = "bootstrap:" + parsed.Id, BoundHostNames = check.HostNames! }
                : throw RpcErrors.Unauthenticated(ErrorReasons.BootstrapTokenRefused, $"bootstrap token {parsed.Id}: {check.Refusal}");
        }

        throw RpcErrors.Unauthenticated(ErrorReasons.MalformedCredential, $"unknown authorization scheme '{(scheme.Length > 20 ? scheme[..20] : scheme)}' (Bearer or Bootstrap)");
    }

    /// <summary>
    /// The caller, when the policy grants it <paramref name="permission"/>: authenticated as any
    /// call is, then PERMISSION_DENIED with the policy's reason unless a role matching the caller
    /// names the permission (deny by default, whichever listener the call came through).
    /// </summary>
    public async Task<CallerIdentity> AuthorizeAsync(ServerCallContext context, OperatorRight permission)
    {
        var caller = await AuthenticateAsync(context, allowBootstrap: false).ConfigureAwait(false);
        var decision = policy.Current.Authorize(caller, permission);
        if (decision.Refusal is { } refusal)
        {
            LogPermissionDenied(logger, caller.Name, caller.Method, OperatorRights.NameOf(permission), context.Peer);
            throw new Issuing.PolicyDeniedException(new Deny([refusal], []));
        }

        return caller;
    }

    /// <summary>
    /// Uses the caller's bootstrap token, once policy has allowed every certificate it is asked
    /// for: atomically, so of two racing uses one wins. A no-op for other callers. Dispose the
    /// result without <see cref="BootstrapTokenUse.Complete"/> to give the token back (the device
    /// failed before anything was certified).
    /// </summary>
    public async Task<BootstrapTokenUse> UseBootstrapTokenAsync(ServerCallContext context, CallerIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Method != AuthMethod.BootstrapToken)
        {
            return BootstrapTokenUse.None;
        }

        var header = context.GetHttpContext().Request.Headers.Authorization.ToString();
        var parsed = BootstrapTokenFormat.Parse(header[(header.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim())
            ?? throw RpcErrors.Unauthenticated(ErrorReasons.MalformedCredential, "not a bootstrap token (expected shcbt_<id>_<secret>)");
        var redemption = await audit.RedeemBootstrapTokenAsync(parsed.Id, parsed.SecretSha256, Now(), context.Peer, CancellationToken.None).ConfigureAwait(false);
        return redemption.Accepted
            ? new BootstrapTokenUse(audit, parsed.Id, context.Peer, time)
            : throw RpcErrors.Unauthenticated(ErrorReasons.BootstrapTokenRefused, $"bootstrap token {parsed.Id}: {redemption.Refusal}");
    }

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{Caller} ({Method}) from {Peer} was refused the operator permission '{Permission}'")]
    private static partial void LogPermissionDenied(ILogger logger, string caller, AuthMethod method, string permission, string peer);
}
