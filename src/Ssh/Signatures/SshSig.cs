using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// An SSHSIG signature (OpenSSH PROTOCOL.sshsig, what <c>ssh-keygen -Y sign</c> writes): the
/// signer's public key, a namespace that keeps signatures for one purpose from being replayed for
/// another, the hash of the message and an SSH signature over the preamble. Parsing is strict:
/// one armored block, version 1, SHA-256 or SHA-512, nothing trailing.
/// </summary>
public sealed class SshSig
{
    private const string Begin = "-----BEGIN SSH SIGNATURE-----";
    private const string End = "-----END SSH SIGNATURE-----";
    private static readonly byte[] Magic = "SSHSIG"u8.ToArray();

    private SshSig(SshPublicKey publicKey, string ns, string hashAlgorithm, SshSignature signature)
    {
        PublicKey = publicKey;
        Namespace = ns;
        HashAlgorithm = hashAlgorithm;
        Signature = signature;
    }

    /// <summary>The key that signed.</summary>
    public SshPublicKey PublicKey { get; }

    /// <summary>The namespace, e.g. <c>file</c> or ours for host renewal.</summary>
    public string Namespace { get; }

    /// <summary><c>sha256</c> or <c>sha512</c>.</summary>
    public string HashAlgorithm { get; }

    /// <summary>The SSH signature over the signed data.</summary>
    public SshSignature Signature { get; }

    /// <summary>
    /// A signature made elsewhere (a CA key on hardware signed <see cref="SignedData"/>): checks
    /// that the signature verifies before it can be written out.
    /// </summary>
    /// <exception cref="ArgumentException">The namespace is empty, the hash unknown, or the signature does not verify.</exception>
    public static SshSig Create(SshPublicKey publicKey, string ns, string hashAlgorithm, SshSignature signature, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentNullException.ThrowIfNull(signature);
        if (hashAlgorithm is not ("sha256" or "sha512"))
        {
            throw new ArgumentException($"'{hashAlgorithm}' is not sha256 or sha512", nameof(hashAlgorithm));
        }

        var made = new SshSig(publicKey, ns, hashAlgorithm, signature);
        return made.Verifies(publicKey, ns, message) ? made : throw new ArgumentException("the signature does not verify over the message", nameof(signature));
    }

    /// <summary>The binary form (PROTOCOL.sshsig §2).</summary>
    public byte[] ToBlob()
    {
        var writer = new SshWriter(256);
        writer.WriteRaw(Magic);
        writer.WriteUInt32(1);
        writer.WriteString(PublicKey.Blob.Span);
        writer.WriteString(Encoding.UTF8.GetBytes(Namespace));
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        writer.WriteString(Encoding.UTF8.GetBytes(HashAlgorithm));
        writer.WriteString(Signature.Blob.Span);
        return writer.ToArray();
    }

    /// <summary>The armored form ssh-keygen -Y writes: base64 in lines of 70 between the markers (PROTOCOL.sshsig §1).</summary>
    public string ToArmored()
    {
        var base64 = Convert.ToBase64String(ToBlob());
        var text = new StringBuilder(base64.Length + 128).Append(Begin).Append('\n');
        for (var i = 0; i < base64.Length; i += 70)
        {
            text.Append(base64.AsSpan(i, Math.Min(70, base64.Length - i))).Append('\n');
        }

        return text.Append(End).Append('\n').ToString();
    }

    /// <summary>Parses the armored text (at most 16 KiB).</summary>
    public static SshSig ParseArmored(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 16 * 1024)
        {
            ThrowHelper.Format("signature", "longer than 16 KiB");
        }

        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Begin, StringComparison.Ordinal) || !trimmed.EndsWith(End, StringComparison.Ordinal) || trimmed.Length < Begin.Length + End.Length)
        {
            ThrowHelper.Format("signature", $"not an armored SSH signature (expected {Begin} ... {End})");
        }

        var body = trimmed[Begin.Length..^End.Length].Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            return ThrowHelper.Format<SshSig>("signature", "the armored body is not base64");
        }

        return Parse(blob);
    }

    /// <summary>Parses the binary form.</summary>
    public static SshSig Parse(ReadOnlyMemory<byte> blob)
    {
        var reader = new SshReader(blob.Span);
        if (reader.Remaining < Magic.Length)
        {
            ThrowHelper.Truncated("signature.magic", Magic.Length, reader.Remaining);
        }

        for (var i = 0; i < Magic.Length; i++)
        {
            if (reader.ReadByte("signature.magic") != Magic[i])
            {
                ThrowHelper.Format("signature.magic", "not SSHSIG");
            }
        }

        var version = reader.ReadUInt32("signature.version");
        if (version != 1)
        {
            ThrowHelper.Format("signature.version", $"version {version} is not 1");
        }

        var (keyOffset, keyLength) = reader.ReadStringRange("signature.publickey");
        var ns = reader.ReadText("signature.namespace");
        reader.ReadString("signature.reserved");
        var hash = reader.ReadText("signature.hash_algorithm");
        if (hash is not ("sha256" or "sha512"))
        {
            ThrowHelper.Format("signature.hash_algorithm", $"'{hash}' is not sha256 or sha512");
        }

        var (signatureOffset, signatureLength) = reader.ReadStringRange("signature.signature");
        reader.EnsureAtEnd("signature");
        var key = SshPublicKey.ParseBlob(blob.Slice(keyOffset, keyLength));
        var signature = SshSignature.Parse(blob.Slice(signatureOffset, signatureLength));
        return new SshSig(key, ns, hash, signature);
    }

    /// <summary>
    /// True when this signature, by <paramref name="expectedKey"/> in <paramref name="expectedNamespace"/>,
    /// covers <paramref name="message"/>.
    /// </summary>
    public bool Verifies(SshPublicKey expectedKey, string expectedNamespace, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(expectedKey);
        if (!PublicKey.Equals(expectedKey) || !string.Equals(Namespace, expectedNamespace, StringComparison.Ordinal))
        {
            return false;
        }

        return SshSignatureVerifier.Verify(PublicKey, SignedData(Namespace, HashAlgorithm, message), Signature) == SignatureVerification.Valid;
    }

    /// <summary>The bytes the signer signs: the preamble, namespace, hash algorithm and the message's hash.</summary>
    public static byte[] SignedData(string ns, string hashAlgorithm, ReadOnlySpan<byte> message)
    {
        var name = hashAlgorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        Span<byte> digest = stackalloc byte[64];
        var length = CryptographicOperations.HashData(name, message, digest);
        var writer = new SshWriter(128);
        writer.WriteRaw(Magic);
        writer.WriteString(Encoding.UTF8.GetBytes(ns));
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        writer.WriteString(Encoding.UTF8.GetBytes(hashAlgorithm));
        writer.WriteString(digest[..length]);
        return writer.ToArray();
    }
}
