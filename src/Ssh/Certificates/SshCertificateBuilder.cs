using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// Every field of a certificate before it is signed. <see cref="EncodeToBeSigned"/> gives the
/// bytes the CA key signs; <see cref="Assemble"/> appends the signature. Signing itself happens
/// elsewhere (the HSM backends); this type never sees a private key.
/// </summary>
public sealed class SshCertificateBuilder
{
    /// <summary>Length of the nonce ssh-keygen uses and this CA uses.</summary>
    public const int NonceLength = 32;

    /// <summary>The key to certify.</summary>
    public required SshPublicKey PublicKey { get; init; }

    /// <summary>The CA's plain public key.</summary>
    public required SshPublicKey SignatureKey { get; init; }

    /// <summary>The nonce; see <see cref="CreateNonce"/>.</summary>
    public required ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>The serial; must be non-zero (a KRL never matches serial 0).</summary>
    public required ulong Serial { get; init; }

    /// <summary>Everything else the certificate says (type, key id, principals, validity, options, extensions).</summary>
    public required SshCertificateFields Fields { get; init; }

    private SshCertificateType Type => Fields.Type;

    private string KeyId => Fields.KeyId;

    private IReadOnlyList<string> Principals => Fields.Principals;

    private ulong ValidAfter => Fields.ValidAfter;

    private ulong ValidBefore => Fields.ValidBefore;

    private SshOptionSet CriticalOptions => Fields.CriticalOptions;

    private SshOptionSet Extensions => Fields.Extensions;

    /// <summary>A fresh 32-byte nonce from the injected generator.</summary>
    public static byte[] CreateNonce(RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var nonce = new byte[NonceLength];
        random.GetBytes(nonce);
        return nonce;
    }

    /// <summary>
    /// Checks the fields against the rules that are never relaxed and encodes every byte before
    /// the signature field (the to-be-signed bytes).
    /// </summary>
    /// <exception cref="InvalidOperationException">A field breaks a rule; the message names it.</exception>
    public byte[] EncodeToBeSigned()
    {
        Check();
        var writer = new SshWriter(EstimateSize());
        writer.WriteString(SshKeyAlgorithms.CertificateTypeFor(PublicKey.KeyType));
        writer.WriteString(Nonce.Span);
        PublicKey.WriteKeyFields(writer);
        writer.WriteUInt64(Serial);
        writer.WriteUInt32((uint)Type);
        writer.WriteString(KeyId);
        using (writer.PushString())
        {
            foreach (var principal in Principals)
            {
                writer.WriteString(principal);
            }
        }

        writer.WriteUInt64(ValidAfter);
        writer.WriteUInt64(ValidBefore);
        CriticalOptions.Write(writer);
        Extensions.Write(writer);
        writer.WriteString(ReadOnlySpan<byte>.Empty); // reserved
        writer.WriteString(SignatureKey.Blob.Span);
        return writer.ToArray();
    }

    /// <summary>
    /// Appends the CA signature to the to-be-signed bytes and parses the result, so what comes
    /// back is exactly what a verifier will read. It does not verify the signature: the caller
    /// does that with <see cref="SshCertificate.VerifySignature"/> before releasing it.
    /// </summary>
    public static SshCertificate Assemble(ReadOnlySpan<byte> toBeSigned, SshSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var sig = signature.Blob.Span;
        var blob = new byte[toBeSigned.Length + 4 + sig.Length];
        toBeSigned.CopyTo(blob);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(toBeSigned.Length), (uint)sig.Length);
        sig.CopyTo(blob.AsSpan(toBeSigned.Length + 4));
        return SshCertificate.Parse(blob);
    }

    private void Check()
    {
        if (PublicKey is null || SignatureKey is null || Fields is null || KeyId is null || Principals is null || CriticalOptions is null || Extensions is null)
        {
            throw Invalid("certificate", "a required field is null");
        }

        if (Serial == 0)
        {
            throw Invalid("serial", "serial must be non-zero: KRLs never match serial 0");
        }

        if (Type is not (SshCertificateType.User or SshCertificateType.Host))
        {
            throw Invalid("type", $"type {(uint)Type} is neither user nor host");
        }

        // DESIGN.md: no certificate with an empty principal list (OpenSSH < 10.3 reads it as "anyone").
        if (Principals.Count == 0)
        {
            throw Invalid("principals", "a certificate needs at least one principal");
        }

        if (Principals.Count > SshLimits.MaxPrincipals)
        {
            throw Invalid("principals", $"{Principals.Count} principals exceed the limit of {SshLimits.MaxPrincipals}");
        }

        foreach (var principal in Principals)
        {
            if (string.IsNullOrEmpty(principal) || principal.Contains('\0', StringComparison.Ordinal))
            {
                throw Invalid("principals", "a principal is empty or contains NUL");
            }
        }

        if (KeyId.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid("key id", "the key id contains NUL");
        }

        if (ValidAfter >= ValidBefore)
        {
            throw Invalid("validity", $"valid after ({ValidAfter}) must be before valid before ({ValidBefore})");
        }

        if (CriticalOptions.Kind != SshOptionKind.Critical || Extensions.Kind != SshOptionKind.Extension)
        {
            throw Invalid("critical options", "critical options and extensions are swapped");
        }

        // PROTOCOL.certkeys defines no critical options for host certificates; ssh refuses one that has any.
        if (Type == SshCertificateType.Host && CriticalOptions.Count != 0)
        {
            throw Invalid("critical options", "host certificates carry no critical options");
        }
    }

    private static InvalidOperationException Invalid(string field, string problem) => new($"certificate field {field}: {problem}");

    private int EstimateSize()
    {
        var size = 256 + Nonce.Length + PublicKey.Blob.Length + SignatureKey.Blob.Length + (KeyId.Length * 3);
        foreach (var principal in Principals)
        {
            size += 4 + (principal.Length * 3);
        }

        foreach (var option in CriticalOptions)
        {
            size += 8 + option.Name.Length + option.Data.Length;
        }

        foreach (var option in Extensions)
        {
            size += 8 + option.Name.Length + option.Data.Length;
        }

        return size;
    }
}
