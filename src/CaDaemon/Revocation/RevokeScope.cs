namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>Which CA a serial, key id, principal or caller selector applies to.</summary>
internal enum RevokeScope
{
    /// <summary>Both CAs.</summary>
    Both,

    /// <summary>The user CA.</summary>
    User,

    /// <summary>The host CA.</summary>
    Host,
}
