using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>What the pipeline did: issued a recorded certificate, or policy denied it (nothing recorded, nothing signed).</summary>
public sealed record IssueOutcome(SshCertificate? Certificate, Deny? Denial)
{
    /// <summary>True when a certificate was issued.</summary>
    public bool Issued => Certificate is not null;
}
