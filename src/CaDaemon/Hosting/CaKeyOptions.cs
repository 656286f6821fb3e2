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
}
