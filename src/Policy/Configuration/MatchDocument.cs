namespace SshHsmCa.Policy.Configuration;

/// <summary>One way of matching a caller; exactly one of its members is set, and all its conditions must hold.</summary>
public sealed class MatchDocument
{
    /// <summary>OIDC callers.</summary>
    public OidcMatchDocument? Oidc { get; set; }

    /// <summary>mTLS callers.</summary>
    public MtlsMatchDocument? Mtls { get; set; }

    /// <summary>Operators on the Unix socket.</summary>
    public UnixMatchDocument? Unix { get; set; }

    /// <summary>Hosts presenting a bootstrap token.</summary>
    public bool? Bootstrap { get; set; }

    /// <summary>Hosts proving possession of their current host certificate.</summary>
    public bool? HostRenewal { get; set; }
}
