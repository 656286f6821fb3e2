namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>A CA key on a PKCS#11 token.</summary>
public sealed class CaKeyOptions
{
    /// <summary>RFC 7512 URI of the key.</summary>
    public string? Uri { get; set; }

    /// <summary>A root-only file holding the PIN.</summary>
    public string? PinFile { get; set; }

    /// <summary>A systemd credential name holding the PIN.</summary>
    public string? PinCredential { get; set; }

    /// <summary>The expected public key (OpenSSH line or SHA256 fingerprint); start refuses another key.</summary>
    public string? ExpectedPublicKey { get; set; }

    /// <summary>Concurrent signatures.</summary>
    public int PoolSize { get; set; } = Environment.ProcessorCount;

    /// <summary>PIV keys: how long a signature may wait for the YubiKey's touch, in seconds (default 30).</summary>
    public int TouchTimeoutSeconds { get; set; } = 30;

    /// <summary>PIV keys: refuse a key that was imported rather than generated on the device (default true).</summary>
    public bool RequireGeneratedOnDevice { get; set; } = true;
}
