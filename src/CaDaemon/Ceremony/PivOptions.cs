namespace SshHsmCa.CaDaemon.Ceremony;

/// <summary>YubiKey PIV settings of the key ceremony (<c>GeneratePivKey</c>).</summary>
internal sealed class PivOptions
{
    /// <summary>A root-only file holding the management key in hex (48 hex digits for 3DES/AES-192).</summary>
    public string? ManagementKeyFile { get; set; }

    /// <summary>A systemd credential holding the management key in hex.</summary>
    public string? ManagementKeyCredential { get; set; }

    /// <summary>Extra attestation roots (PEM) beside Yubico's bundled ones.</summary>
    public string? AttestationRootsFile { get; set; }
}
