namespace SshHsmCa.Policy;

/// <summary>
/// What a role's <c>operator</c> list may grant: the operator actions besides asking for a
/// certificate (DESIGN.md: operator actions are authorized by named permissions on policy roles).
/// The JSON names are the lower-case words in <see cref="OperatorRights.Names"/>.
/// </summary>
public enum OperatorRight
{
    /// <summary><c>tokens</c>: create one-time host bootstrap tokens.</summary>
    Tokens,

    /// <summary><c>audit</c>: read the audit log (certificates issued, failed attempts).</summary>
    Audit,

    /// <summary><c>batch</c>: sign batches of host certificates (each host still goes through the host grant).</summary>
    Batch,

    /// <summary><c>ceremony</c>: generate CA keys on a device (the PIV key ceremony).</summary>
    Ceremony,

    /// <summary><c>revoke</c>: record revocations and publish the KRL.</summary>
    Revoke,

    /// <summary><c>rotate</c>: read the CA key sets' status and reload the configuration's CA keys (CA key rotation).</summary>
    Rotate,
}
