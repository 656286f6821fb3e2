namespace SshHsmCa.CaDaemon.Audit;

/// <summary>An enrolled security key (issue 29): who enrolled it, when, and what its attestation proved.</summary>
internal sealed record SecurityKeyRecord(
    string Fingerprint,
    string Caller,
    string PublicKey,
    Guid Aaguid,
    bool UserVerified,
    bool Backup,
    string Format,
    string CertificateSubject,
    string CertificateSerial,
    string RootSubject,
    ulong EnrolledAt);
