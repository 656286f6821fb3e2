using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Policy;

/// <summary>
/// What a caller asks for, already parsed. Everything optional may be left out to take what the
/// caller's roles give by default; anything given may only narrow it.
/// </summary>
public sealed record CertificateRequest
{
    /// <summary>User or host.</summary>
    public required SshCertificateType Type { get; init; }

    /// <summary>The key to certify.</summary>
    public required SshPublicKey PublicKey { get; init; }

    /// <summary>Requested principals; empty asks for every principal the roles grant (users) or the bound names (hosts).</summary>
    public IReadOnlyList<string> Principals { get; init; } = [];

    /// <summary>Requested validity; null takes the default.</summary>
    public TimeSpan? Validity { get; init; }

    /// <summary>Requested critical options, name → value (null for a flag).</summary>
    public IReadOnlyDictionary<string, string?> CriticalOptions { get; init; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Requested extensions, name → value (null for a flag); null takes the defaults.</summary>
    public IReadOnlyDictionary<string, string?>? Extensions { get; init; }

    /// <summary>A request id for the key id and the audit log.</summary>
    public string RequestId { get; init; } = string.Empty;

    /// <summary>
    /// What the key's enrollment proved (issue 29), set by the issuing pipeline from its records,
    /// never from what a client sends; null for a key that was not enrolled with an attestation.
    /// </summary>
    public KeyAttestation? Attestation { get; init; }

    /// <summary>True for a renewal; evaluated exactly like a new request (recorded only).</summary>
    public bool IsRenewal { get; init; }

    /// <summary>Convenience for tests and callers: the certificate type's name.</summary>
    public string TypeName => Type == SshCertificateType.User ? "user" : "host";
}
