using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy;

/// <summary>Everything a certificate will say except its key, nonce, serial and CA: what policy decided.</summary>
public sealed record CertificateTemplate
{
    /// <summary>User or host.</summary>
    public required SshCertificateType Type { get; init; }

    /// <summary>The key id sshd will log.</summary>
    public required string KeyId { get; init; }

    /// <summary>The principals, never empty, sorted ordinally, unique.</summary>
    public required IReadOnlyList<string> Principals { get; init; }

    /// <summary>Start of validity, Unix seconds.</summary>
    public required ulong ValidAfter { get; init; }

    /// <summary>End of validity, Unix seconds.</summary>
    public required ulong ValidBefore { get; init; }

    /// <summary>Critical options (none for hosts).</summary>
    public required SshOptionSet CriticalOptions { get; init; }

    /// <summary>Extensions.</summary>
    public required SshOptionSet Extensions { get; init; }
}
