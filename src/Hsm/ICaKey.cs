using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Hsm;

/// <summary>
/// A CA private key held by hardware. The daemon sees its public key and asks for signatures;
/// sessions, handles and PINs stay inside the backend.
/// </summary>
public interface ICaKey : IAsyncDisposable
{
    /// <summary>The CA public key (what goes into <c>TrustedUserCAKeys</c> or <c>@cert-authority</c>).</summary>
    SshPublicKey PublicKey { get; }

    /// <summary>Where the key lives, for logs (no secrets), e.g. <c>pkcs11 token=ca-token object=ca-p256</c>.</summary>
    string Description { get; }

    /// <summary>True while the backend believes the device usable (health checks).</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Signs <paramref name="toBeSigned"/> once on the device and returns the SSH signature blob,
    /// already verified in software against <see cref="PublicKey"/>. A signature that does not
    /// verify is never returned.
    /// </summary>
    /// <exception cref="HsmException">The device failed, the deadline passed, or the signature was bad.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default);
}
