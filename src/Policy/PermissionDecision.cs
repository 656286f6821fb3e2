namespace SshHsmCa.Policy;

/// <summary>
/// The policy's answer to "may this caller perform this operator action": allowed with the roles
/// that grant it, or refused with the reason (code <see cref="ReasonCodes.PermissionNotGranted"/>).
/// </summary>
/// <param name="Permission">What was asked.</param>
/// <param name="GrantedBy">The matching roles that grant it, sorted (empty when refused).</param>
/// <param name="Refusal">Null when allowed.</param>
public sealed record PermissionDecision(OperatorRight Permission, IReadOnlyList<string> GrantedBy, PolicyReason? Refusal)
{
    /// <summary>True when some matching role grants the permission.</summary>
    public bool IsAllowed => Refusal is null;
}
