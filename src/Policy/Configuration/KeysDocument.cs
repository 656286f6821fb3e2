namespace SshHsmCa.Policy.Configuration;

/// <summary>Subject key rules.</summary>
public sealed class KeysDocument
{
    /// <summary>Allowed key types (absent: all supported; empty: none).</summary>
    public List<string>? Types { get; set; }

    /// <summary>Minimum RSA modulus size (default 3072).</summary>
    public int? RsaMinBits { get; set; }

    /// <summary><c>allowed</c> (default), <c>required</c> or <c>forbidden</c>.</summary>
    public string? SecurityKeys { get; set; }

    /// <summary>Issue only for security keys enrolled with a verified attestation (issue 29).</summary>
    public bool? RequireAttestation { get; set; }

    /// <summary>Authenticator models (AAGUIDs) allowed for attested keys (absent or empty: any trusted model).</summary>
    public List<string>? Aaguids { get; set; }

    /// <summary>Require that the enrollment verified the user (UV); the certificate then carries verify-required.</summary>
    public bool? RequireUserVerification { get; set; }

    /// <summary>Accept backup-eligible or backed-up credentials (synced passkeys); default false.</summary>
    public bool? AllowBackup { get; set; }
}
