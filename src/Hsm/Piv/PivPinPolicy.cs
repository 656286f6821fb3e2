namespace SshHsmCa.Hsm.Piv;

/// <summary>When a slot needs the PIN.</summary>
public enum PivPinPolicy : byte
{
    /// <summary>The slot's default.</summary>
    Default = 0,

    /// <summary>Never.</summary>
    Never = 1,

    /// <summary>Once per session (the applet's verified state).</summary>
    Once = 2,

    /// <summary>Before every private-key operation.</summary>
    Always = 3,
}
