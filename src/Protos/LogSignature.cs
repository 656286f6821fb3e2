namespace SshHsmCa.Protos.V1;

/// <summary>
/// The SSHSIG namespace of issuance-log checkpoints (GetLogCheckpointResponse.sshsig,
/// /log/checkpoint.sig): the checkpoint text signed so that <c>ssh-keygen -Y verify</c> checks it.
/// </summary>
public static class LogSignature
{
    /// <summary>"log-checkpoint@ssh-hsm-ca".</summary>
    public const string Namespace = "log-checkpoint@ssh-hsm-ca";
}
