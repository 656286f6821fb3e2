namespace SshHsmCa.Policy;

/// <summary>
/// What a verified enrollment proved about the subject key (issue 29): filled in by the issuing
/// pipeline from the key's enrollment record, never from the request.
/// </summary>
/// <param name="Aaguid">The authenticator model.</param>
/// <param name="UserVerified">The enrollment verified the user (UV).</param>
/// <param name="Backup">The credential is backup-eligible or backed up (a synced passkey).</param>
public sealed record KeyAttestation(Guid Aaguid, bool UserVerified, bool Backup);
