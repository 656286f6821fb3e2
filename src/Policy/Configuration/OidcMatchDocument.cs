namespace SshHsmCa.Policy.Configuration;

/// <summary>OIDC conditions.</summary>
public sealed class OidcMatchDocument
{
    /// <summary>Required issuer (exact).</summary>
    public string? Issuer { get; set; }

    /// <summary>The email claim's domain must be one of these (and email_verified, when present, true).</summary>
    public List<string>? EmailDomains { get; set; }

    /// <summary>The caller must be in one of these groups.</summary>
    public List<string>? Groups { get; set; }

    /// <summary>The claim holding groups (default <c>groups</c>).</summary>
    public string? GroupsClaim { get; set; }

    /// <summary>Every named claim must have one of the listed values.</summary>
    public Dictionary<string, List<string>>? Claims { get; set; }
}
