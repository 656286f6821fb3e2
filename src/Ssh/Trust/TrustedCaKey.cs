using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>One CA key of a trust set: which CA (user or host), its state and its public key.</summary>
public sealed record TrustedCaKey(SshCertificateType Ca, CaKeyState State, SshPublicKey PublicKey)
{
    /// <summary>True for the states a host or client trusts (next, active, retired).</summary>
    public bool IsTrusted => State != CaKeyState.Revoked;
}
