namespace SshHsmCa.Ssh.Trust;

/// <summary>Where a CA key stands in its rotation.</summary>
public enum CaKeyState
{
    /// <summary>Trusted everywhere, not signing yet (published ahead of the switch).</summary>
    Next,

    /// <summary>Signs; exactly one per CA.</summary>
    Active,

    /// <summary>No longer signs; trusted until the last certificate it signed expires.</summary>
    Retired,

    /// <summary>Distrusted at once: in the KRL, in no trust file.</summary>
    Revoked,
}
