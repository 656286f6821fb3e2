using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Piv;

/// <summary>What GET METADATA says about a key slot.</summary>
/// <param name="Algorithm">The key's algorithm.</param>
/// <param name="PinPolicy">When it needs the PIN.</param>
/// <param name="TouchPolicy">When it needs a touch.</param>
/// <param name="Origin">Generated on the device or imported.</param>
/// <param name="PublicKey">The public key, as SSH sees it.</param>
public sealed record PivSlotMetadata(PivAlgorithm Algorithm, PivPinPolicy PinPolicy, PivTouchPolicy TouchPolicy, PivKeyOrigin Origin, SshPublicKey PublicKey);
