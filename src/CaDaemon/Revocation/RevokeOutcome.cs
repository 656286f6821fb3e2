using SshHsmCa.CaDaemon.Audit;

namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>A revocation as recorded (Id 0 for a dry run), the certificates its serials cover, and the KRL version that includes it.</summary>
internal sealed record RevokeOutcome(RevocationRecord Revocation, IReadOnlyList<AuditRecord> Certificates, ulong KrlVersion);
