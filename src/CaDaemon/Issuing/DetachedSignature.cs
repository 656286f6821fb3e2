using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>An SSHSIG (PROTOCOL.sshsig) over a document, made once on the hardware with SHA-512 and checked in software before it is released.</summary>
internal static class DetachedSignature
{
    /// <summary>The armored signature of <paramref name="document"/> by <paramref name="key"/> in <paramref name="ns"/>.</summary>
    /// <exception cref="HsmException">The key could not sign.</exception>
    public static async Task<string> SignAsync(ICaKey key, string ns, byte[] document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var signature = await key.SignAsync(SshSig.SignedData(ns, "sha512", document), cancellationToken).ConfigureAwait(false);

        // SshSig.Create verifies the signature over the document: a bad one is never released.
        return SshSig.Create(key.PublicKey, ns, "sha512", signature, document).ToArmored();
    }
}
