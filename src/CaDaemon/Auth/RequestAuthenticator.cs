using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Step 1 of the pipeline for every call: an explicit credential in the <c>authorization</c>
/// header (<c>Bearer</c> ID token, <c>Bootstrap</c> one-time token) when present, otherwise the
/// connection's own identity (client certificate, operator socket peer). No credential: a
/// <see cref="Refusal.NoCredential"/> refusal. Operator actions are then authorized by the policy's
/// named permissions (<see cref="AuthorizeAsync"/>). Refusals are domain failures (the API's status
/// table maps them) and are never written durably here: the API layer counts them per source.
/// </summary>
internal sealed partial class RequestAuthenticator(IBootstrapTokenStore tokens, PolicyHolder policy, TimeProvider time, ILogger<RequestAuthenticator> logger, OidcTokenValidator? oidc = null) : ICredentialRedeemer
{
    private const int MaxHeaderLength = 16 * 1024;

    /// <summary>The SSO settings a client logs in with (GetLoginSettings), or null when SSO is not configured.</summary>
    public OidcOptions? LoginSettings => oidc?.Options;

    /// <summary>The caller when the call brings a credential (refused as <see cref="AuthenticateAsync"/> refuses), or null for an anonymous call.</summary>
    public async Task<CallerIdentity?> AuthenticateIfPresentAsync(Credentials credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return credentials.Authorization.Length == 0 && credentials.Connection is null
            ? null
            : await AuthenticateAsync(credentials, allowBootstrap: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller; a refusal with a reason (never the credential) when there is none. A bootstrap
    /// token is checked here and carried in <see cref="CallerIdentity.Credential"/>, not used:
    /// <see cref="UseAsync"/> uses it once policy has allowed what it is for.
    /// </summary>
    public async Task<CallerIdentity> AuthenticateAsync(Credentials credentials, bool allowBootstrap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var header = credentials.Authorization;
        if (header.Length == 0)
        {
            return credentials.Connection
                ?? throw new RefusedException(Refusal.NoCredential, "no credential: present a client certificate, an ID token (authorization: Bearer) or a bootstrap token, or use the operator socket");
        }

        if (header.Length > MaxHeaderLength)
        {
            throw new RefusedException(Refusal.MalformedCredential, "the authorization header is longer than 16 KiB");
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? header[..space] : header;
        var credential = space > 0 ? header[(space + 1)..].Trim() : string.Empty;
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            if (oidc is null)
            {
                throw new RefusedException(Refusal.SsoNotConfigured, "SSO login is not configured on this CA (no oidc section)");
            }

            var (caller, refusal) = await oidc.ValidateAsync(credential, cancellationToken).ConfigureAwait(false);
            return caller ?? throw new RefusedException(Refusal.IdTokenRefused, refusal!);
        }

        if (scheme.Equals("Bootstrap", StringComparison.OrdinalIgnoreCase))
        {
            if (!allowBootstrap)
            {
                throw new RefusedException(Refusal.BootstrapTokenRefused, "a bootstrap token is accepted only by SignHostCertificate and BootstrapHost");
            }

            var parsed = BootstrapTokenFormat.Parse(credential) is { } p ? new BootstrapToken(p.Id, p.SecretSha256)
                : throw new RefusedException(Refusal.MalformedCredential, "not a bootstrap token (expected shcbt_<id>_<secret>)");
            var check = await tokens.CheckBootstrapTokenAsync(parsed.Id, parsed.SecretSha256, Now(), cancellationToken).ConfigureAwait(false);
            return check.Accepted
                ? new CallerIdentity { Method = AuthMethod.BootstrapToken, Name = "bootstrap:" + parsed.Id, BoundHostNames = check.HostNames!, Credential = parsed }
                : throw new RefusedException(Refusal.BootstrapTokenRefused, $"bootstrap token {parsed.Id}: {check.Refusal}");
        }

        throw new RefusedException(Refusal.MalformedCredential, $"unknown authorization scheme '{(scheme.Length > 20 ? scheme[..20] : scheme)}' (Bearer or Bootstrap)");
    }

    /// <summary>
    /// The caller, when the policy grants it <paramref name="permission"/>: authenticated as any
    /// call is, then a policy denial with the policy's reason unless a role matching the caller
    /// names the permission (deny by default, whichever listener the call came through).
    /// </summary>
    public async Task<CallerIdentity> AuthorizeAsync(Credentials credentials, OperatorRight permission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var caller = await AuthenticateAsync(credentials, allowBootstrap: false, cancellationToken).ConfigureAwait(false);
        var decision = policy.Current.Authorize(caller, permission);
        if (decision.Refusal is { } refusal)
        {
            LogPermissionDenied(logger, caller.Name, caller.Method, OperatorRights.NameOf(permission), credentials.Peer);
            throw new PolicyDeniedException(new Deny([refusal], []));
        }

        return caller;
    }

    /// <summary>
    /// Uses the caller's bootstrap token, once policy has allowed every certificate it is asked
    /// for: atomically, so of two racing uses one wins. A no-op for other callers. Dispose the
    /// result without <see cref="ICredentialUse.Complete"/> to give the token back (the device
    /// failed before anything was certified).
    /// </summary>
    public async Task<ICredentialUse> UseAsync(CallerIdentity caller, string sourceAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Credential is not BootstrapToken token)
        {
            return BootstrapTokenUse.None;
        }

        // Once the token is used, the use is finished whatever the caller does meanwhile.
        var redemption = await tokens.RedeemBootstrapTokenAsync(token.Id, token.SecretSha256, Now(), sourceAddress, CancellationToken.None).ConfigureAwait(false);
        return redemption.Accepted
            ? new BootstrapTokenUse(tokens, token.Id, sourceAddress, time)
            : throw new RefusedException(Refusal.BootstrapTokenRefused, $"bootstrap token {token.Id}: {redemption.Refusal}");
    }

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{Caller} ({Method}) from {Peer} was refused the operator permission '{Permission}'")]
    private static partial void LogPermissionDenied(ILogger logger, string caller, AuthMethod method, string permission, string peer);
}
