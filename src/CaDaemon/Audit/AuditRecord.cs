using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One attempt to issue a certificate, as recorded.</summary>
internal sealed record AuditRecord
{
    /// <summary>The serial reserved for the attempt (unique, non-zero).</summary>
    public required ulong Serial { get; init; }

    /// <summary>A user or a host certificate.</summary>
    public required SshCertificateType Type { get; init; }

    /// <summary>The key id.</summary>
    public required string KeyId { get; init; }

    /// <summary>Principals.</summary>
    public required IReadOnlyList<string> Principals { get; init; }

    /// <summary>Validity start, Unix seconds.</summary>
    public required ulong ValidAfter { get; init; }

    /// <summary>Validity end, Unix seconds.</summary>
    public required ulong ValidBefore { get; init; }

    /// <summary>Critical options, <c>name[=value]</c> each.</summary>
    public required IReadOnlyList<string> CriticalOptions { get; init; }

    /// <summary>Extensions, <c>name[=value]</c> each.</summary>
    public required IReadOnlyList<string> Extensions { get; init; }

    /// <summary>SHA256 fingerprint of the subject key.</summary>
    public required string SubjectKeyFingerprint { get; init; }

    /// <summary>SHA256 fingerprint of the CA key.</summary>
    public required string CaKeyFingerprint { get; init; }

    /// <summary>Who asked.</summary>
    public required string Caller { get; init; }

    /// <summary>How they authenticated.</summary>
    public required AuthMethod AuthMethod { get; init; }

    /// <summary>Peer address.</summary>
    public required string SourceAddress { get; init; }

    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>When the attempt started, Unix seconds.</summary>
    public required ulong CreatedAt { get; init; }

    /// <summary>Pending (the intent), issued or failed.</summary>
    public required AuditOutcome Outcome { get; init; }

    /// <summary>Why it failed.</summary>
    public string? Failure { get; init; }

    /// <summary>The certificate line, once issued.</summary>
    public string? Certificate { get; init; }
}
