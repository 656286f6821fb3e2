namespace SshHsmCa.CaDaemon.Auth;

/// <summary>SSO users: OpenID Connect ID tokens from one issuer (<c>"oidc"</c> in config.json).</summary>
internal sealed class OidcOptions
{
    /// <summary>The issuer URL, exactly as in its tokens' <c>iss</c>; https unless a loopback development issuer is allowed.</summary>
    public string? Issuer { get; set; }

    /// <summary>The CLI's client id: ID tokens must carry it as their audience.</summary>
    public string? ClientId { get; set; }

    /// <summary>Scopes the CLI asks for.</summary>
    public IList<string> Scopes { get; set; } = ["openid", "profile", "email"];

    /// <summary>Signature algorithms accepted (asymmetric only).</summary>
    public IList<string> Algorithms { get; set; } = ["RS256", "PS256", "ES256", "ES384"];

    /// <summary>Allowed clock skew for exp/nbf/iat, seconds (at most 300).</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>Air-gapped appliance: the issuer's JWKS from this file instead of fetching discovery and JWKS.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Development only: accept an http:// issuer on 127.0.0.1 or ::1.</summary>
    public bool AllowLoopbackHttp { get; set; }
}
