namespace SshHsmCa.CaDaemon.Keys;

/// <summary>The <c>piv</c> section of a CA key.</summary>
internal sealed class PivKeySection
{
    /// <summary>How long a signature may wait for the YubiKey's touch, in seconds (default 30).</summary>
    public int TouchTimeoutSeconds { get; set; } = 30;

    /// <summary>Refuse a key that was imported rather than generated on the device (default true).</summary>
    public bool RequireGeneratedOnDevice { get; set; } = true;
}
