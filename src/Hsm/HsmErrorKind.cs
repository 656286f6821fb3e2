namespace SshHsmCa.Hsm;

/// <summary>What went wrong with a CA key backend, for callers to act on (never match message text).</summary>
public enum HsmErrorKind
{
    /// <summary>The device or its sessions failed (removed, session lost, bad signature); retry later, the backend recovers.</summary>
    DeviceUnavailable,

    /// <summary>The PIN was refused.</summary>
    PinIncorrect,

    /// <summary>The PIN is locked (or blocked) on the token: an operator must unblock it.</summary>
    PinLocked,

    /// <summary>No token with the configured label or serial is present.</summary>
    TokenNotFound,

    /// <summary>No key (or no public key object) matches the configured label and id.</summary>
    KeyNotFound,

    /// <summary>More than one key matches: the URI must name one.</summary>
    KeyAmbiguous,

    /// <summary>The key on the token is not the configured expected key.</summary>
    KeyMismatch,

    /// <summary>The key type or curve cannot be a CA key here.</summary>
    UnsupportedKey,

    /// <summary>The operation did not finish before its deadline.</summary>
    Timeout,

    /// <summary>The configuration is wrong (URI, PIN source, module path).</summary>
    Configuration,

    /// <summary>The key needs a touch and none came before the deadline.</summary>
    TouchTimeout,
}
