using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>The ID token a user command authenticates with: from a file, or by SSO against the CA's settings.</summary>
internal static class SsoToken
{
    /// <summary>
    /// The token in <paramref name="idTokenFile"/>, else one from the browser flow (PKCE, a loopback
    /// redirect) or the device flow against the issuer GetLoginSettings names; at most 15 minutes.
    /// </summary>
    public static async Task<string> GetAsync(CertificateAuthorityService.CertificateAuthorityServiceClient anonymous, string? idTokenFile, bool device, int redirectPort, TextWriter status, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(anonymous);
        if (idTokenFile is not null)
        {
            return CliFiles.ReadText(idTokenFile).Trim();
        }

        var settings = await anonymous.GetLoginSettingsAsync(new GetLoginSettingsRequest(), cancellationToken: cancel).ConfigureAwait(false);
        if (settings.Issuer.Length == 0)
        {
            throw new UsageException("this CA has no SSO login configured (no oidc section); use --id-token-file or a client certificate with sign");
        }

        using var signIn = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        signIn.CancelAfter(TimeSpan.FromMinutes(15));
        return device
            ? await OidcSignIn.DeviceAsync(settings.Issuer, settings.ClientId, settings.Scopes, status, signIn.Token).ConfigureAwait(false)
            : await OidcSignIn.BrowserAsync(settings.Issuer, settings.ClientId, settings.Scopes, redirectPort, status, signIn.Token).ConfigureAwait(false);
    }
}
