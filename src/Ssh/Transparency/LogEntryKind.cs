namespace SshHsmCa.Ssh.Transparency;

/// <summary>What a leaf of the issuance log records (its byte in <see cref="LogEntry"/>).</summary>
public enum LogEntryKind : byte
{
    /// <summary>A certificate was issued: serial, key id, SHA-256 of the certificate blob, caller, "user"/"host".</summary>
    Certificate = 1,

    /// <summary>A revocation was recorded: its id, its selector, SHA-256 of its KRL entries, caller, reason and KRL version.</summary>
    Revocation = 2,

    /// <summary>A CA key's state on an appliance changed (or was first seen): its fingerprint, SHA-256 of the key blob, "userCa active"…</summary>
    CaKeyState = 3,

    /// <summary>The appliance loaded a policy and configuration (start or reload): SHA-256 of the policy file, the configuration summary.</summary>
    Reload = 4,
}
