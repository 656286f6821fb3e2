namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Where an issuing attempt stands.</summary>
internal enum AuditOutcome
{
    /// <summary>The serial is reserved and the intent written; the signature is not back yet.</summary>
    Pending,

    /// <summary>The certificate was issued.</summary>
    Issued,

    /// <summary>The attempt failed; no certificate left the CA.</summary>
    Failed,
}
