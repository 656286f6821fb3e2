namespace SshHsmCa.Policy;

/// <summary>
/// An authenticated caller, as the daemon established it. Policy reads only these fields; it
/// never sees a token or certificate itself.
/// </summary>
public sealed record CallerIdentity
{
    /// <summary>How the caller authenticated.</summary>
    public required AuthMethod Method { get; init; }

    /// <summary>Who, for key ids and logs: the OIDC subject or email, the TLS subject, the Unix user, the token id, the host.</summary>
    public required string Name { get; init; }

    /// <summary>OIDC: the issuer.</summary>
    public string? Issuer { get; init; }

    /// <summary>OIDC claims (multi-valued; e.g. <c>email</c>, <c>groups</c>, <c>preferred_username</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Claims { get; init; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>mTLS: the subject distinguished name, e.g. <c>CN=build-01,O=Example</c>.</summary>
    public string? TlsSubject { get; init; }

    /// <summary>mTLS: subject alternative names (DNS names, emails, URIs).</summary>
    public IReadOnlyList<string> TlsSubjectAlternativeNames { get; init; } = [];

    /// <summary>Unix socket: the peer's uid.</summary>
    public uint? Uid { get; init; }

    /// <summary>Unix socket: the peer's gids (primary and supplementary).</summary>
    public IReadOnlyList<uint> Gids { get; init; } = [];

    /// <summary>Unix socket: the peer's user name.</summary>
    public string? UserName { get; init; }

    /// <summary>Unix socket: the peer's group names.</summary>
    public IReadOnlyList<string> GroupNames { get; init; } = [];

    /// <summary>Bootstrap token or host renewal: the host names the credential is bound to.</summary>
    public IReadOnlyList<string> BoundHostNames { get; init; } = [];

    /// <summary>When the caller's own credential expires (ID token exp, client certificate notAfter), Unix seconds.</summary>
    public ulong? CredentialExpiresAt { get; init; }

    /// <summary>
    /// The credential the identity was established with when it is still to be used (a one-time
    /// bootstrap token, used once policy has allowed what it is for). Opaque to policy.
    /// </summary>
    public object? Credential { get; init; }

    /// <summary>The values of a claim (empty when absent).</summary>
    public IReadOnlyList<string> Claim(string name) => Claims.TryGetValue(name, out var values) ? values : [];
}
