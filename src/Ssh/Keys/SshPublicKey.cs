using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Keys;

/// <summary>
/// A plain OpenSSH public key (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4). Immutable; parsed keys keep slices of the
/// memory they were parsed from, so that memory must not change afterwards.
/// </summary>
public abstract class SshPublicKey : IEquatable<SshPublicKey>
{
    private ReadOnlyMemory<byte> _blob;

    private protected SshPublicKey(ReadOnlyMemory<byte> blob)
    {
        _blob = blob;
    }

    /// <summary>The key type name, e.g. <c>ssh-ed25519</c>.</summary>
    public abstract string KeyType { get; }

    /// <summary>The key size as <c>ssh-keygen -l</c> prints it.</summary>
    public abstract int SizeInBits { get; }

    /// <summary>The type as <c>ssh-keygen -l</c> prints it in brackets, e.g. <c>ED25519</c>.</summary>
    public abstract string DisplayName { get; }

    /// <summary>True for FIDO security-key types (sk-*).</summary>
    public virtual bool IsSecurityKey => false;

    /// <summary>The wire blob: <c>string type ‖ key fields</c>.</summary>
    public ReadOnlyMemory<byte> Blob
    {
        get
        {
            if (_blob.IsEmpty)
            {
                var w = new SshWriter(64);
                w.WriteString(KeyType);
                WriteKeyFields(w);
                _blob = w.ToArray();
            }

            return _blob;
        }
    }

    /// <summary>
    /// The SHA-256 fingerprint exactly as <c>ssh-keygen -l</c> prints it:
    /// <c>SHA256:</c> and unpadded base64 of SHA-256 over the blob.
    /// </summary>
    public string GetSha256Fingerprint()
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Blob.Span, hash);
        return "SHA256:" + Convert.ToBase64String(hash).TrimEnd('=');
    }

    /// <summary>The <c>.pub</c>/<c>authorized_keys</c> line: <c>type base64 [comment]</c>.</summary>
    public string ToOpenSshLine(string? comment = null) => SshLine.Format(KeyType, Blob.Span, comment);

    /// <summary>Writes the fields after the type name, as a certificate embeds them.</summary>
    public abstract void WriteKeyFields(SshWriter writer);

    /// <summary>Parses a public key blob. The key keeps slices of <paramref name="blob"/>.</summary>
    /// <exception cref="SshFormatException">The blob is malformed or of an unknown type.</exception>
    public static SshPublicKey ParseBlob(ReadOnlyMemory<byte> blob)
    {
        if (blob.Length > SshLimits.MaxBlobLength)
        {
            ThrowHelper.Format("public key", $"blob of {blob.Length} bytes exceeds {SshLimits.MaxBlobLength}");
        }

        var reader = new SshReader(blob.Span);
        var typeName = reader.ReadString("public key type");
        var type = SshKeyAlgorithms.FindPlainType(typeName);
        if (type is null)
        {
            ThrowHelper.Format("public key type", $"unknown or unsupported key type '{Printable(typeName)}'");
        }

        var key = ReadKeyFields(type, ref reader, blob);
        reader.EnsureAtEnd("public key");
        key._blob = blob;
        return key;
    }

    /// <summary>
    /// Parses a <c>.pub</c> line: <c>type base64 [comment]</c>. The type word must agree with the
    /// type inside the blob.
    /// </summary>
    public static SshPublicKey ParseLine(ReadOnlySpan<char> line, out string comment)
    {
        var blob = SshLine.Split(line, "public key", out var typeWord, out var rest);
        var key = ParseBlob(blob);
        if (!typeWord.SequenceEqual(key.KeyType))
        {
            ThrowHelper.Format("public key type", $"line says '{typeWord}' but the blob holds '{key.KeyType}'");
        }

        comment = rest;
        return key;
    }

    /// <summary>Parses a <c>.pub</c> line, ignoring its comment.</summary>
    public static SshPublicKey ParseLine(ReadOnlySpan<char> line) => ParseLine(line, out _);

    /// <summary>
    /// Reads the key fields of <paramref name="type"/> (everything after the type string), as they
    /// appear in a plain blob and, in the same order, inside a certificate.
    /// </summary>
    internal static SshPublicKey ReadKeyFields(string type, ref SshReader reader, ReadOnlyMemory<byte> source)
    {
        switch (type)
        {
            case SshKeyAlgorithms.Ed25519:
                return new Ed25519PublicKey(ReadEd25519(ref reader, source), default);
            case SshKeyAlgorithms.SkEd25519:
            {
                var pk = ReadEd25519(ref reader, source);
                var app = ReadApplication(ref reader, source);
                return new SkEd25519PublicKey(pk, app, default);
            }

            case SshKeyAlgorithms.EcdsaP256 or SshKeyAlgorithms.EcdsaP384 or SshKeyAlgorithms.EcdsaP521:
            {
                var curve = EcCurve.FromKeyType(type)!;
                var q = ReadEcPoint(ref reader, source, curve);
                return new EcdsaPublicKey(curve, q, default);
            }

            case SshKeyAlgorithms.SkEcdsaP256:
            {
                var q = ReadEcPoint(ref reader, source, EcCurve.NistP256);
                var app = ReadApplication(ref reader, source);
                return new SkEcdsaPublicKey(q, app, default);
            }

            case SshKeyAlgorithms.Rsa:
            {
                var e = reader.ReadPositiveMpint("public key RSA exponent");
                var eMemory = source.Slice(reader.Position - e.Length, e.Length);
                var n = reader.ReadPositiveMpint("public key RSA modulus");
                var nMemory = source.Slice(reader.Position - n.Length, n.Length);
                return new RsaPublicKey(eMemory, nMemory, default, "public key");
            }

            default:
                return ThrowHelper.Format<SshPublicKey>("public key type", $"unsupported key type '{type}'");
        }
    }

    private static ReadOnlyMemory<byte> ReadEd25519(ref SshReader reader, ReadOnlyMemory<byte> source)
    {
        var (offset, length) = reader.ReadStringRange("public key Ed25519 key");
        if (length != Ed25519PublicKey.KeyLength)
        {
            ThrowHelper.Format("public key Ed25519 key", $"must be 32 bytes, got {length}");
        }

        return source.Slice(offset, length);
    }

    private static ReadOnlyMemory<byte> ReadEcPoint(ref SshReader reader, ReadOnlyMemory<byte> source, EcCurve curve)
    {
        var curveName = reader.ReadString("public key curve");
        if (!SshKeyAlgorithms.IsAscii(curveName, curve.Identifier))
        {
            ThrowHelper.Format("public key curve", $"'{Printable(curveName)}' does not match the key type's curve {curve.Identifier}");
        }

        var (offset, length) = reader.ReadStringRange("public key EC point");
        var q = source.Slice(offset, length);
        curve.ValidatePoint(q.Span, "public key EC point");
        return q;
    }

    private static ReadOnlyMemory<byte> ReadApplication(ref SshReader reader, ReadOnlyMemory<byte> source)
    {
        var app = reader.ReadTextBytes("public key application");
        return source.Slice(reader.Position - app.Length, app.Length);
    }

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var limited = bytes.Length > 64 ? bytes[..64] : bytes;
        var chars = new char[limited.Length];
        for (var i = 0; i < limited.Length; i++)
        {
            chars[i] = limited[i] is >= 0x20 and < 0x7f ? (char)limited[i] : '?';
        }

        return new string(chars) + (bytes.Length > 64 ? "…" : string.Empty);
    }

    /// <inheritdoc />
    public bool Equals(SshPublicKey? other) => other is not null && Blob.Span.SequenceEqual(other.Blob.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SshPublicKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Blob.Span);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"{SizeInBits} {GetSha256Fingerprint()} ({DisplayName})";
}
