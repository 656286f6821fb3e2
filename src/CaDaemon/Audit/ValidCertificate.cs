using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>An issued certificate that has not expired: which CA key signed it, until when, and for whom.</summary>
internal sealed record ValidCertificate(SshCertificateType Type, string CaKeyFingerprint, ulong ValidBefore, string Caller, string FirstPrincipal);
