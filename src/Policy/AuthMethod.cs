namespace SshHsmCa.Policy;

/// <summary>How a caller proved who it is (DESIGN.md, the issuing pipeline step 1).</summary>
public enum AuthMethod
{
    /// <summary>A TLS client certificate chaining to the configured client CA.</summary>
    MutualTls,

    /// <summary>An OpenID Connect ID token.</summary>
    Oidc,

    /// <summary>Peer credentials on the operator Unix socket.</summary>
    UnixSocket,

    /// <summary>A one-time host bootstrap token.</summary>
    BootstrapToken,

    /// <summary>Proof of possession of the key behind a current host certificate (renewal).</summary>
    HostCertificate,
}
