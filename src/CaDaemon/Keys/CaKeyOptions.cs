namespace SshHsmCa.CaDaemon.Keys;

/// <summary>
/// A CA key: where it is (a <c>pkcs11:</c> or <c>piv:</c> URI), its PIN source and the public key
/// it must have; what only one backend understands sits in that backend's section.
/// </summary>
internal sealed class CaKeyOptions
{
    /// <summary>
    /// Where the key stands in its rotation: <c>next</c>, <c>active</c> (the default), <c>retired</c>
    /// or <c>revoked</c>. Next and active keys are opened on their device at start and reload;
    /// retired and revoked ones are only public keys (their device may be gone).
    /// </summary>
    public string? State { get; set; }

    /// <summary>Why a key in the revoked state was revoked: recorded with its revocation.</summary>
    public string? RevocationReason { get; set; }

    /// <summary>RFC 7512 URI of the key, or <c>piv:serial=N;slot=9c</c> (next and active keys).</summary>
    public string? Uri { get; set; }

    /// <summary>A root-only file holding the PIN.</summary>
    public string? PinFile { get; set; }

    /// <summary>A systemd credential name holding the PIN.</summary>
    public string? PinCredential { get; set; }

    /// <summary>
    /// The expected public key (OpenSSH line or SHA256 fingerprint); start refuses another key. A
    /// retired or revoked key is this public key alone (a fingerprint only when the CA has opened
    /// the key before and remembers it).
    /// </summary>
    public string? ExpectedPublicKey { get; set; }

    /// <summary>Settings of a <c>pkcs11:</c> key (refused beside a <c>piv:</c> URI).</summary>
    public Pkcs11KeySection? Pkcs11 { get; set; }

    /// <summary>Settings of a <c>piv:</c> key (refused beside a <c>pkcs11:</c> URI).</summary>
    public PivKeySection? Piv { get; set; }
}
