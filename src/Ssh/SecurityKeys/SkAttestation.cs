using System.Formats.Cbor;

namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>
/// The attestation OpenSSH writes at security-key enrollment (<c>ssh-keygen -O write-attestation</c>,
/// PROTOCOL.u2f): <c>string "ssh-sk-attest-v01" ‖ string attestation certificate (DER) ‖ string
/// enrollment signature ‖ string authenticator data (CBOR byte string) ‖ uint32 reserved flags ‖
/// string reserved</c>. Strict: v00 (before OpenSSH 8.4, no authenticator data, so nothing binds
/// the signature to the key) is refused, so are trailing bytes, a CBOR wrapper that is not exactly
/// one definite-length byte string, and fields over their bounds.
/// </summary>
public sealed class SkAttestation
{
    /// <summary>The magic of the format this parser accepts.</summary>
    public const string V01 = "ssh-sk-attest-v01";

    /// <summary>The older magic, refused with a reason.</summary>
    public const string V00 = "ssh-sk-attest-v00";

    /// <summary>Largest attestation file read (certificates of real authenticators are under 2 KiB).</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>Largest attestation certificate.</summary>
    public const int MaxCertificateLength = 8 * 1024;

    /// <summary>Largest enrollment signature (a DER ECDSA P-521 or RSA-4096 signature fits).</summary>
    public const int MaxSignatureLength = 1024;

    /// <summary>Largest authenticator data.</summary>
    public const int MaxAuthenticatorDataLength = 4 * 1024;

    private SkAttestation(byte[] certificate, byte[] signature, byte[] authenticatorData)
    {
        Certificate = certificate;
        Signature = signature;
        AuthenticatorData = authenticatorData;
    }

    /// <summary>The attestation certificate, DER (empty when the authenticator gave none).</summary>
    public ReadOnlyMemory<byte> Certificate { get; }

    /// <summary>The enrollment signature (empty for a "none" attestation).</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The raw authenticator data (the CBOR byte string's contents).</summary>
    public ReadOnlyMemory<byte> AuthenticatorData { get; }

    /// <summary>Parses an attestation file's bytes.</summary>
    public static SkAttestation Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length > MaxLength)
        {
            throw new SshFormatException("attestation", $"{blob.Length} bytes is more than {MaxLength}");
        }

        var reader = new SshReader(blob);
        var magic = reader.ReadString("attestation format");
        if (magic.SequenceEqual(V00u8))
        {
            throw new SshFormatException("attestation format", "ssh-sk-attest-v00 (OpenSSH before 8.4) has no authenticator data, so it cannot bind the key; enroll with a newer ssh-keygen");
        }

        if (!magic.SequenceEqual(V01u8))
        {
            throw new SshFormatException("attestation format", "not ssh-sk-attest-v01");
        }

        var certificate = Bounded(reader.ReadString("attestation certificate"), MaxCertificateLength, "attestation certificate");
        var signature = Bounded(reader.ReadString("enrollment signature"), MaxSignatureLength, "enrollment signature");
        var wrapped = Bounded(reader.ReadString("authenticator data"), MaxAuthenticatorDataLength + 8, "authenticator data");
        var flags = reader.ReadUInt32("reserved flags");
        var reserved = reader.ReadString("reserved");
        reader.EnsureAtEnd("attestation");
        if (flags != 0 || !reserved.IsEmpty)
        {
            throw new SshFormatException("attestation", "the reserved fields are not empty");
        }

        return new SkAttestation(certificate, signature, Unwrap(wrapped));
    }

    private static byte[] Bounded(ReadOnlySpan<byte> value, int max, string field) =>
        value.Length <= max ? value.ToArray() : throw new SshFormatException(field, $"{value.Length} bytes is more than {max}");

    private static byte[] Unwrap(byte[] wrapped)
    {
        try
        {
            var cbor = new CborReader(wrapped, CborConformanceMode.Ctap2Canonical);
            if (cbor.PeekState() != CborReaderState.ByteString)
            {
                throw new SshFormatException("authenticator data", "not a CBOR byte string");
            }

            var contents = cbor.ReadByteString();
            if (cbor.BytesRemaining != 0)
            {
                throw new SshFormatException("authenticator data", "bytes after the CBOR byte string");
            }

            return contents.Length <= MaxAuthenticatorDataLength
                ? contents
                : throw new SshFormatException("authenticator data", $"{contents.Length} bytes is more than {MaxAuthenticatorDataLength}");
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException)
        {
            throw new SshFormatException("authenticator data", "not canonical CBOR: " + e.Message);
        }
    }

    private static ReadOnlySpan<byte> V01u8 => "ssh-sk-attest-v01"u8;

    private static ReadOnlySpan<byte> V00u8 => "ssh-sk-attest-v00"u8;
}
