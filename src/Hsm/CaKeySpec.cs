namespace SshHsmCa.Hsm;

/// <summary>What <see cref="CaKeys.Open"/> needs to open a CA key, whichever its backend.</summary>
public sealed record CaKeySpec
{
    /// <summary><c>pkcs11:…</c> (RFC 7512) or <c>piv:serial=N;slot=9c</c>.</summary>
    public required string Uri { get; init; }

    /// <summary>The public key the device must hold (OpenSSH line or SHA256 fingerprint), or null.</summary>
    public string? ExpectedPublicKey { get; init; }

    /// <summary>PKCS#11: sessions in the pool (null: chosen from the module, <see cref="Pkcs11.Pkcs11PoolSizing"/>).</summary>
    public int? PoolSize { get; init; }

    /// <summary>PIV: refuse a key the attestation does not show generated on the device.</summary>
    public bool RequireGeneratedOnDevice { get; init; } = true;

    /// <summary>PIV: how long a signature may wait for a touch.</summary>
    public TimeSpan TouchTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
