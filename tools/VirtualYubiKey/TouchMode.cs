namespace SshHsmCa.VirtualCards;

/// <summary>How the virtual YubiKey's user touches it when a slot asks for a touch.</summary>
public enum TouchMode
{
    /// <summary>A touch arrives <see cref="VirtualYubiKey.TouchDelay"/> after the card starts waiting.</summary>
    Auto,

    /// <summary>Only <see cref="VirtualYubiKey.Touch"/> touches it.</summary>
    Manual,

    /// <summary>Nobody touches it: the card times out with 6982.</summary>
    Never,
}
