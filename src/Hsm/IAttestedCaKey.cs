namespace SshHsmCa.Hsm;

/// <summary>A CA key whose device proves it was generated on the device (YubiKey PIV attestation).</summary>
public interface IAttestedCaKey : ICaKey
{
    /// <summary>The slot's attestation certificate (DER), or null when the device gave none.</summary>
    byte[]? Attestation { get; }

    /// <summary>The device's attestation intermediate (DER, the F9 certificate), or null.</summary>
    byte[]? AttestationIntermediate { get; }
}
