using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One attempt to issue a certificate, as recorded.</summary>
internal sealed record AuditRecord
{
    /// <summary>The serial reserved for the attempt (unique, non-zero).</summary>
    public required ulong Serial { get; init; }

    /// <summary>
    /// What the certificate says: the policy's decision as the builder encodes it (one shape
    /// from policy to bytes to the stored row).
    /// </summary>
    public required SshCertificateFields Fields { get; init; }

    /// <summary>User or host (the fields' type).</summary>
    public SshCertificateType Type => Fields.Type;

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
