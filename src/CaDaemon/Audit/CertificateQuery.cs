using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Issued certificates by key id, principal or caller (exactly one), created at or after <see cref="Since"/>, of the given types.</summary>
internal sealed record CertificateQuery(string? KeyId, string? Principal, string? Caller, ulong Since, IReadOnlyList<SshCertificateType> Types);
