namespace SshHsmCa.Hsm.Piv;

/// <summary>When a slot needs a touch.</summary>
public enum PivTouchPolicy : byte
{
    /// <summary>The slot's default (never).</summary>
    Default = 0,

    /// <summary>Never.</summary>
    Never = 1,

    /// <summary>Every private-key operation.</summary>
    Always = 2,

    /// <summary>A touch covers operations for 15 seconds.</summary>
    Cached = 3,
}
