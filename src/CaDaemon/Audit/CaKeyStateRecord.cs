using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One appliance's view of one CA key: its state there (several appliances share a store, issue 18).</summary>
internal sealed record CaKeyStateRecord(string Appliance, string Fingerprint, SshCertificateType Ca, CaKeyState State, string PublicKey);
