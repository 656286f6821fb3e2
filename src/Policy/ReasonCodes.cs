namespace SshHsmCa.Policy;

/// <summary>Stable denial codes (clients and tests match these, never the message text).</summary>
public static class ReasonCodes
{
    /// <summary>No role matches the caller for this certificate type.</summary>
    public const string NoRole = "no-role";

    /// <summary>The subject key's type, size or kind is not allowed.</summary>
    public const string KeyNotAllowed = "key-not-allowed";

    /// <summary>A requested principal is not granted, or none is granted.</summary>
    public const string PrincipalNotAllowed = "principal-not-allowed";

    /// <summary>No principal would be issued.</summary>
    public const string NoPrincipals = "no-principals";

    /// <summary>The validity is outside the allowed range.</summary>
    public const string ValidityNotAllowed = "validity-not-allowed";

    /// <summary>A critical option is unknown or not allowed, or its value is not.</summary>
    public const string CriticalOptionNotAllowed = "critical-option-not-allowed";

    /// <summary>An extension is not allowed.</summary>
    public const string ExtensionNotAllowed = "extension-not-allowed";

    /// <summary>Matched roles force different values and the request named none.</summary>
    public const string Conflict = "conflicting-roles";

    /// <summary>A request field is malformed.</summary>
    public const string Invalid = "invalid-request";

    /// <summary>No role matching the caller grants the operator permission asked for.</summary>
    public const string PermissionNotGranted = "permission-not-granted";
}
