using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A CA key the daemon has opened once, remembered so that a retired key can be named by its fingerprint alone.</summary>
internal sealed record CaKeyRecord(string Fingerprint, SshCertificateType Ca, string Name, string PublicKey, ulong FirstSeen);
