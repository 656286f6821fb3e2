using System.Text;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>
/// The log key on its device: signs a checkpoint's text twice, as a C2SP signed-note line
/// (Ed25519 over the text) and as an SSHSIG (namespace <c>log-checkpoint@ssh-hsm-ca</c>), each
/// verified in software by the key before it is released.
/// </summary>
internal sealed class LogSigner
{
    /// <summary>A signer for <paramref name="key"/>, which must be Ed25519 (the note format's signature).</summary>
    /// <exception cref="ArgumentException">The key is not Ed25519, or the name is not a note signer's name.</exception>
    public LogSigner(ICaKey key, string origin, string name)
    {
        ArgumentNullException.ThrowIfNull(key);
        Key = key;
        PublicKey = key.PublicKey as Ed25519PublicKey
            ?? throw new ArgumentException($"the log key {key.Description} is {key.PublicKey.KeyType}: checkpoints are signed with Ed25519 (C2SP signed-note)", nameof(key));
        Origin = origin;
        Name = name;
        VerifierKey = SignedNote.VerifierKey(name, PublicKey.PublicKey.Span);
    }

    /// <summary>The device key.</summary>
    public ICaKey Key { get; }

    /// <summary>Its Ed25519 public key.</summary>
    public Ed25519PublicKey PublicKey { get; }

    /// <summary>The log's origin.</summary>
    public string Origin { get; }

    /// <summary>This signer's name in the note.</summary>
    public string Name { get; }

    /// <summary>The verifier key (<c>name+id+key</c>) clients pin.</summary>
    public string VerifierKey { get; }

    /// <summary>The note signature line and the armored SSHSIG of <paramref name="text"/>.</summary>
    /// <exception cref="HsmException">The device could not sign.</exception>
    public async Task<(string Line, string SshSig)> SignAsync(string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var signature = await Key.SignAsync(bytes, cancellationToken).ConfigureAwait(false);
        var raw = signature.Body.ToArray();
        var line = SignedNote.SignatureLine(text, Name, PublicKey.PublicKey.Span, _ => raw);
        var sshsig = await DetachedSignature.SignAsync(Key, Protos.V1.LogSignature.Namespace, bytes, cancellationToken).ConfigureAwait(false);
        return (line, sshsig);
    }
}
