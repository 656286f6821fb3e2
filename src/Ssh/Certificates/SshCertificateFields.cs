namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// What a certificate says beyond its key, nonce, serial and CA (PROTOCOL.certkeys): one shape
/// for what policy decides (the template) and what the builder encodes, so a decision reaches
/// the bytes without being copied field by field.
/// </summary>
public sealed record SshCertificateFields
{
    /// <summary>User or host.</summary>
    public required SshCertificateType Type { get; init; }

    /// <summary>The key id sshd logs.</summary>
    public required string KeyId { get; init; }

    /// <summary>The principals: at least one, at most 256 (policy emits them sorted and unique).</summary>
    public required IReadOnlyList<string> Principals { get; init; }

    /// <summary>Start of validity, Unix seconds (inclusive).</summary>
    public required ulong ValidAfter { get; init; }

    /// <summary>End of validity, Unix seconds (exclusive).</summary>
    public required ulong ValidBefore { get; init; }

    /// <summary>Critical options; host certificates carry none.</summary>
    public SshOptionSet CriticalOptions { get; init; } = SshOptionSet.NoCriticalOptions;

    /// <summary>Extensions.</summary>
    public SshOptionSet Extensions { get; init; } = SshOptionSet.NoExtensions;
}
