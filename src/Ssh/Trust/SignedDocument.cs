using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Trust;

/// <summary>
/// A document a host or client is asked to install, parsed strictly and not yet believed: its bytes,
/// its SSHSIG (whose embedded key is the claimed signer), its version and what it revokes.
/// <see cref="TrustRule"/> decides whether to believe it.
/// </summary>
public sealed class SignedDocument
{
    private SignedDocument(DocumentKind kind, byte[] bytes, SshSig signature, string ns, ulong version, TrustSet? set, SshKrl? krl)
    {
        Kind = kind;
        Bytes = bytes;
        Signature = signature;
        Namespace = ns;
        Version = version;
        Set = set;
        Krl = krl;
    }

    /// <summary>Trust set or KRL.</summary>
    public DocumentKind Kind { get; }

    /// <summary>The signed bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>The SSHSIG over <see cref="Bytes"/>.</summary>
    public SshSig Signature { get; }

    /// <summary>The namespace the signature must be made in.</summary>
    public string Namespace { get; }

    /// <summary>The claimed signer (the key in the SSHSIG); believed only once <see cref="TrustRule"/> verified it.</summary>
    public SshPublicKey Signer => Signature.PublicKey;

    /// <summary>The document's version.</summary>
    public ulong Version { get; }

    /// <summary>The trust set, for a trust set.</summary>
    public TrustSet? Set { get; }

    /// <summary>The KRL, for a KRL.</summary>
    public SshKrl? Krl { get; }

    /// <summary>Parses a trust set and its armored SSHSIG.</summary>
    /// <exception cref="SshFormatException">Either is malformed.</exception>
    public static SignedDocument ForTrustSet(byte[] bytes, string armoredSignature)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var signature = SshSig.ParseArmored(armoredSignature ?? string.Empty);
        var set = TrustSet.Parse(bytes);
        return new SignedDocument(DocumentKind.TrustSet, bytes, signature, TrustSet.Namespace, set.Version, set, null);
    }

    /// <summary>Parses a KRL and its armored SSHSIG made in <paramref name="ns"/>.</summary>
    /// <exception cref="SshFormatException">Either is malformed.</exception>
    public static SignedDocument ForKrl(byte[] bytes, string armoredSignature, string ns)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var signature = SshSig.ParseArmored(armoredSignature ?? string.Empty);
        var krl = SshKrl.Parse(bytes);
        return new SignedDocument(DocumentKind.Krl, bytes, signature, ns, krl.Version, null, krl);
    }

    /// <summary>Whether the document revokes <paramref name="key"/> (a trust set lists it revoked; a KRL revokes it).</summary>
    public bool Revokes(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Set is { } set
            ? set.Keys.Any(k => k.State == CaKeyState.Revoked && k.PublicKey.Equals(key))
            : Krl!.IsRevoked(key);
    }
}
