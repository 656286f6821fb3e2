namespace SshHsmCa.Protos.V1;

/// <summary>
/// The SSHSIG namespace of KRL signatures (GetKrlResponse.signature, /krl.sig): part of the
/// contract, so the daemon signs in it and clients pin it rather than trust the response's field.
/// </summary>
public static class KrlSignature
{
    /// <summary>"krl@ssh-hsm-ca".</summary>
    public const string Namespace = "krl@ssh-hsm-ca";
}
