namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>What a verified attestation proves about a key.</summary>
/// <param name="Aaguid">The authenticator model.</param>
/// <param name="UserVerified">Whether the enrollment verified the user (UV).</param>
/// <param name="Backup">The credential is backup-eligible or backed up (BE/BS flags).</param>
/// <param name="Format">"packed" or "fido-u2f": the statement format whose signature verified.</param>
/// <param name="CertificateSubject">The attestation certificate's subject.</param>
/// <param name="CertificateSerial">Its serial number, hex.</param>
/// <param name="RootSubject">The pinned root the chain ended in.</param>
public sealed record AttestedKey(Guid Aaguid, bool UserVerified, bool Backup, string Format, string CertificateSubject, string CertificateSerial, string RootSubject);
