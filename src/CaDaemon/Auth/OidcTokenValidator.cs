using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Step 1 for SSO users: an OpenID Connect ID token checked against the configured issuer (exact
/// <c>iss</c>), audience (the CLI's client id), an asymmetric algorithm allow-list, the issuer's
/// keys (discovery and JWKS fetched and cached by Microsoft.IdentityModel's configuration manager,
/// or a JWKS file for an air-gapped appliance) and expiry with a small skew. The claims go to policy;
/// the token itself goes nowhere (not into logs, errors or the audit log).
/// </summary>
internal sealed class OidcTokenValidator
{
    private const int MaxTokenLength = 16 * 1024;
    private readonly OidcOptions _options;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    /// <summary>The settings the validator checks tokens against (issuer, audience, algorithms).</summary>
    public OidcOptions Options => _options;

    /// <summary>Creates the validator; keys are fetched on first use and refreshed when an unknown key id appears.</summary>
    public OidcTokenValidator(OidcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var issuer = options.Issuer!;
        BaseConfigurationManager manager;
        if (options.JwksFile is { } jwksFile)
        {
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer };
            foreach (var key in new JsonWebKeySet(File.ReadAllText(jwksFile)).GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            manager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
        }
        else
        {
            var insecure = options.AllowLoopbackHttp && issuer.StartsWith("http://", StringComparison.Ordinal);
            manager = new ConfigurationManager<OpenIdConnectConfiguration>(
                issuer.TrimEnd('/') + "/.well-known/openid-configuration",
                new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = !insecure })
            {
                AutomaticRefreshInterval = TimeSpan.FromHours(6),
                RefreshInterval = TimeSpan.FromSeconds(30),
            };
        }

        _parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = options.ClientId,
            ValidAlgorithms = options.Algorithms,
            ConfigurationManager = manager,
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateLifetime = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateIssuerSigningKey = true,
        };
    }

    /// <summary>The caller behind <paramref name="idToken"/>, or the reason it is refused (never the token).</summary>
    public async Task<(CallerIdentity? Caller, string? Refusal)> ValidateAsync(string idToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idToken);
        if (idToken.Length is 0 or > MaxTokenLength)
        {
            return (null, $"the ID token is empty or longer than {MaxTokenLength} characters");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var result = await _handler.ValidateTokenAsync(idToken, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }

        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in result.ClaimsIdentity.Claims.GroupBy(c => c.Type, StringComparer.Ordinal))
        {
            claims[group.Key] = group.Select(c => c.Value).ToArray();
        }

        string? First(string name) => claims.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
        var subject = First("sub");
        if (string.IsNullOrEmpty(subject))
        {
            return (null, "the ID token has no subject (sub)");
        }

        ulong? expires = ulong.TryParse(First("exp"), System.Globalization.CultureInfo.InvariantCulture, out var exp) ? exp : null;
        return (new CallerIdentity
        {
            Method = AuthMethod.Oidc,
            Name = First("preferred_username") ?? First("email") ?? subject,
            Issuer = First("iss") ?? _options.Issuer,
            Claims = claims,
            CredentialExpiresAt = expires,
        }, null);
    }

    /// <summary>A reason a caller can act on, without echoing the token.</summary>
    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "the ID token has expired; log in again",
        SecurityTokenNotYetValidException => "the ID token is not valid yet (clock skew?)",
        SecurityTokenInvalidIssuerException => "the ID token is from another issuer",
        SecurityTokenInvalidAudienceException => "the ID token is for another client (audience)",
        SecurityTokenInvalidAlgorithmException => "the ID token's signature algorithm is not allowed",
        SecurityTokenSignatureKeyNotFoundException => "the ID token is signed with a key the issuer does not publish",
        SecurityTokenInvalidSignatureException => "the ID token's signature does not verify",
        SecurityTokenMalformedException => "the ID token is not a well-formed JWT",
        SecurityTokenNoExpirationException => "the ID token has no expiry",
        null => "the ID token was refused",
        _ when e.GetType().Name.Contains("Configuration", StringComparison.Ordinal) || e is InvalidOperationException or HttpRequestException => "the issuer's keys could not be fetched; try again",
        _ => "the ID token was refused (" + e.GetType().Name + ")",
    };
}
