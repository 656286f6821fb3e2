using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// A parsed OpenSSH certificate (PROTOCOL.certkeys). Parsing checks every
/// field but decodes text fields only when they are first read, and keeps slices of the blob
/// rather than copies: the blob must not change afterwards. The original bytes are kept and
/// re-emitted as they were (OpenSSH never re-encodes a certificate either).
/// </summary>
public sealed class SshCertificate
{
    private readonly ReadOnlyMemory<byte> _keyId;
    private readonly ReadOnlyMemory<byte> _principals;
    private readonly ReadOnlyMemory<byte> _criticalOptions;
    private readonly ReadOnlyMemory<byte> _extensions;
    private string? _keyIdText;
    private string[]? _principalList;
    private SshOptionSet? _criticalOptionSet;
    private SshOptionSet? _extensionSet;

    private SshCertificate(ReadOnlyMemory<byte> blob, ref Fields fields)
    {
        Blob = blob;
        CertificateType = fields.CertificateType;
        Nonce = fields.Nonce;
        PublicKey = fields.PublicKey;
        Serial = fields.Serial;
        Type = fields.Type;
        _keyId = fields.KeyId;
        _principals = fields.Principals;
        PrincipalCount = fields.PrincipalCount;
        ValidAfter = fields.ValidAfter;
        ValidBefore = fields.ValidBefore;
        _criticalOptions = fields.CriticalOptions;
        _extensions = fields.Extensions;
        Reserved = fields.Reserved;
        SignatureKey = fields.SignatureKey;
        ToBeSignedLength = fields.ToBeSignedLength;
        Signature = fields.Signature;
    }

    /// <summary>The whole certificate blob.</summary>
    public ReadOnlyMemory<byte> Blob { get; }

    /// <summary>The certificate type name, e.g. <c>ssh-ed25519-cert-v01@openssh.com</c>.</summary>
    public string CertificateType { get; }

    /// <summary>The CA's random nonce.</summary>
    public ReadOnlyMemory<byte> Nonce { get; }

    /// <summary>The certified (subject) public key, as a plain key.</summary>
    public SshPublicKey PublicKey { get; }

    /// <summary>The serial; 0 means none (and is never matched by a KRL).</summary>
    public ulong Serial { get; }

    /// <summary>User or host.</summary>
    public SshCertificateType Type { get; }

    /// <summary>The key id, which sshd logs.</summary>
    public string KeyId => _keyIdText ??= SshText.Decode(_keyId.Span);

    /// <summary>The key id's bytes as signed (a KRL matches them bytewise).</summary>
    public ReadOnlyMemory<byte> KeyIdBytes => _keyId;

    /// <summary>The valid principals.</summary>
    public IReadOnlyList<string> Principals => _principalList ??= DecodePrincipals(_principals.Span, PrincipalCount);

    /// <summary>The number of principals.</summary>
    public int PrincipalCount { get; }

    /// <summary>Start of validity, Unix seconds (inclusive).</summary>
    public ulong ValidAfter { get; }

    /// <summary>End of validity, Unix seconds (exclusive); <see cref="ulong.MaxValue"/> is forever.</summary>
    public ulong ValidBefore { get; }

    /// <summary>The critical options, sorted and unique (checked at parse).</summary>
    public SshOptionSet CriticalOptions => _criticalOptionSet ??= SshOptionSet.FromValidatedWire(_criticalOptions, SshOptionKind.Critical);

    /// <summary>The extensions, sorted and unique (checked at parse).</summary>
    public SshOptionSet Extensions => _extensionSet ??= SshOptionSet.FromValidatedWire(_extensions, SshOptionKind.Extension);

    /// <summary>The reserved field (empty from every known CA; ignored).</summary>
    public ReadOnlyMemory<byte> Reserved { get; }

    /// <summary>The CA's plain public key.</summary>
    public SshPublicKey SignatureKey { get; }

    /// <summary>The CA's signature over <see cref="ToBeSigned"/>.</summary>
    public SshSignature Signature { get; }

    /// <summary>Length of the signed part: every byte before the signature field.</summary>
    public int ToBeSignedLength { get; }

    /// <summary>The signed bytes, exactly as transmitted.</summary>
    public ReadOnlyMemory<byte> ToBeSigned => Blob[..ToBeSignedLength];

    /// <summary>True when <c>valid_after ≤ now &lt; valid_before</c>, as sshd checks it (no skew).</summary>
    public bool IsValidAt(ulong unixSeconds) => ValidAfter <= unixSeconds && unixSeconds < ValidBefore;

    /// <summary>Verifies the CA signature over the signed part with <see cref="SignatureKey"/>.</summary>
    public SignatureVerification VerifySignature() => SshSignatureVerifier.Verify(SignatureKey, ToBeSigned.Span, Signature);

    /// <summary>The <c>-cert.pub</c> line.</summary>
    public string ToOpenSshLine(string? comment = null) => SshLine.Format(CertificateType, Blob.Span, comment);

    /// <summary>Parses a <c>-cert.pub</c> line. The type word must agree with the blob.</summary>
    public static SshCertificate ParseLine(ReadOnlySpan<char> line, out string comment)
    {
        var blob = SshLine.Split(line, "certificate", out var typeWord, out comment);
        var certificate = Parse(blob);
        if (!typeWord.SequenceEqual(certificate.CertificateType))
        {
            ThrowHelper.Format("certificate type", $"line says '{typeWord}' but the blob holds '{certificate.CertificateType}'");
        }

        return certificate;
    }

    /// <summary>Parses a <c>-cert.pub</c> line, ignoring its comment.</summary>
    public static SshCertificate ParseLine(ReadOnlySpan<char> line) => ParseLine(line, out _);

    /// <summary>
    /// Parses a certificate blob strictly: known type, every field well-formed, at most 256
    /// principals, no NUL in text, options sorted and unique with standard ones well-formed, a
    /// plain CA key, a well-formed signature, no trailing bytes. It does not verify the signature:
    /// call <see cref="VerifySignature"/>.
    /// </summary>
    /// <exception cref="SshFormatException">The blob is malformed; the exception names the field.</exception>
    public static SshCertificate Parse(ReadOnlyMemory<byte> blob)
    {
        if (blob.Length > SshLimits.MaxBlobLength)
        {
            ThrowHelper.Format("certificate", $"blob of {blob.Length} bytes exceeds {SshLimits.MaxBlobLength}");
        }

        var f = default(Fields);
        var reader = new SshReader(blob.Span);
        var typeName = reader.ReadString("certificate type");
        var plainType = SshKeyAlgorithms.PlainTypeForCertificate(typeName);
        if (plainType is null)
        {
            ThrowHelper.Format("certificate type", $"'{SshPublicKey.Printable(typeName)}' is not a supported certificate type");
        }

        f.CertificateType = SshKeyAlgorithms.CertificateTypeFor(plainType);
        f.Nonce = Slice(blob, reader.ReadStringRange("nonce"));
        f.PublicKey = SshPublicKey.ReadKeyFields(plainType, ref reader, blob);
        f.Serial = reader.ReadUInt64("serial");
        var type = reader.ReadUInt32("type");
        if (type is not ((uint)SshCertificateType.User or (uint)SshCertificateType.Host))
        {
            ThrowHelper.Format("type", $"{type} is neither 1 (user) nor 2 (host)");
        }

        f.Type = (SshCertificateType)type;
        var keyIdStart = reader.Position + 4;
        var keyId = reader.ReadTextBytes("key id");
        f.KeyId = blob.Slice(keyIdStart, keyId.Length);
        f.Principals = Slice(blob, reader.ReadStringRange("principals"));
        f.PrincipalCount = ValidatePrincipals(f.Principals.Span);
        f.ValidAfter = reader.ReadUInt64("valid after");
        f.ValidBefore = reader.ReadUInt64("valid before");
        f.CriticalOptions = Slice(blob, reader.ReadStringRange("critical options"));
        SshOptionSet.Validate(f.CriticalOptions.Span, SshOptionKind.Critical);
        f.Extensions = Slice(blob, reader.ReadStringRange("extensions"));
        SshOptionSet.Validate(f.Extensions.Span, SshOptionKind.Extension);
        f.Reserved = Slice(blob, reader.ReadStringRange("reserved"));

        // PROTOCOL.certkeys: the signature key is a plain key; a certificate as CA is refused
        // (ParseBlob knows only plain types).
        f.SignatureKey = ParseSignatureKey(Slice(blob, reader.ReadStringRange("signature key")));
        f.ToBeSignedLength = reader.Position;
        f.Signature = SshSignature.Parse(Slice(blob, reader.ReadStringRange("signature")));
        reader.EnsureAtEnd("certificate");
        return new SshCertificate(blob, ref f);
    }

    private static SshPublicKey ParseSignatureKey(ReadOnlyMemory<byte> blob)
    {
        try
        {
            return SshPublicKey.ParseBlob(blob);
        }
        catch (SshFormatException e)
        {
            // Name the certificate field, not the key's inner field alone.
            throw new SshFormatException("signature key", e.Message);
        }
    }

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> blob, (int Offset, int Length) range) => blob.Slice(range.Offset, range.Length);

    private static int ValidatePrincipals(ReadOnlySpan<byte> section)
    {
        var reader = new SshReader(section);
        var count = 0;
        while (!reader.IsAtEnd)
        {
            if (++count > SshLimits.MaxPrincipals)
            {
                ThrowHelper.Format("principals", $"more than {SshLimits.MaxPrincipals} principals");
            }

            reader.ReadTextBytes("principals");
        }

        return count;
    }

    private static string[] DecodePrincipals(ReadOnlySpan<byte> section, int count)
    {
        var result = new string[count];
        var reader = new SshReader(section);
        for (var i = 0; i < count; i++)
        {
            result[i] = reader.ReadText("principals");
        }

        return result;
    }

    private struct Fields
    {
        public string CertificateType;
        public ReadOnlyMemory<byte> Nonce;
        public SshPublicKey PublicKey;
        public ulong Serial;
        public SshCertificateType Type;
        public ReadOnlyMemory<byte> KeyId;
        public ReadOnlyMemory<byte> Principals;
        public int PrincipalCount;
        public ulong ValidAfter;
        public ulong ValidBefore;
        public ReadOnlyMemory<byte> CriticalOptions;
        public ReadOnlyMemory<byte> Extensions;
        public ReadOnlyMemory<byte> Reserved;
        public SshPublicKey SignatureKey;
        public int ToBeSignedLength;
        public SshSignature Signature;
    }
}
