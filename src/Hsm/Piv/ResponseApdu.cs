namespace SshHsmCa.Hsm.Piv;

/// <summary>A card's answer: the data and the status word.</summary>
/// <param name="Data">The response data (after GET RESPONSE chaining).</param>
/// <param name="StatusWord">SW1SW2, e.g. 0x9000.</param>
public sealed record ResponseApdu(byte[] Data, ushort StatusWord)
{
    /// <summary>True for 9000.</summary>
    public bool IsSuccess => StatusWord == 0x9000;
}
