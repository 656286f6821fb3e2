using System.Buffers.Binary;
using System.Formats.Cbor;

namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>
/// WebAuthn authenticator data (W3C WebAuthn §6.1) as an enrollment returns it: rpIdHash (32) ‖
/// flags (1) ‖ signCount (4) ‖ attested credential data (AAGUID 16 ‖ credential id length 2 ‖
/// credential id ‖ COSE_Key) ‖ extensions (a CBOR map, when ED is set). Strict: the attested
/// credential data must be there (AT), the COSE key must be P-256 (ES256) or Ed25519 (EdDSA) in
/// CTAP2 canonical CBOR, and nothing may follow what the flags announce.
/// </summary>
public sealed class AuthenticatorData
{
    /// <summary>UP: the user was present (touched the key).</summary>
    public const byte UserPresent = 0x01;

    /// <summary>UV: the user was verified (PIN or biometrics).</summary>
    public const byte UserVerified = 0x04;

    /// <summary>BE: the credential may be backed up (a synced passkey).</summary>
    public const byte BackupEligible = 0x08;

    /// <summary>BS: the credential is backed up.</summary>
    public const byte BackedUp = 0x10;

    /// <summary>AT: attested credential data follows.</summary>
    public const byte AttestedCredentialData = 0x40;

    /// <summary>ED: extensions follow.</summary>
    public const byte ExtensionData = 0x80;

    /// <summary>Longest credential id accepted (CTAP2 allows 1023).</summary>
    public const int MaxCredentialIdLength = 1023;

    private AuthenticatorData(byte[] rpIdHash, byte flags, uint signCount, Guid aaguid, byte[] aaguidBytes, byte[] credentialId, CredentialKey key)
    {
        RpIdHash = rpIdHash;
        Flags = flags;
        SignCount = signCount;
        Aaguid = aaguid;
        AaguidBytes = aaguidBytes;
        CredentialId = credentialId;
        Key = key;
    }

    /// <summary>SHA-256 of the relying party id (for SSH keys: the key's application).</summary>
    public ReadOnlyMemory<byte> RpIdHash { get; }

    /// <summary>The flags byte.</summary>
    public byte Flags { get; }

    /// <summary>The signature counter.</summary>
    public uint SignCount { get; }

    /// <summary>The authenticator model's AAGUID (all zero for U2F-only keys).</summary>
    public Guid Aaguid { get; }

    /// <summary>The AAGUID as the 16 bytes of the authenticator data (big-endian, as printed).</summary>
    public ReadOnlyMemory<byte> AaguidBytes { get; }

    /// <summary>The credential id (OpenSSH's key handle).</summary>
    public ReadOnlyMemory<byte> CredentialId { get; }

    /// <summary>The attested credential public key.</summary>
    public CredentialKey Key { get; }

    /// <summary>True when a flag is set.</summary>
    public bool Has(byte flag) => (Flags & flag) == flag;

    /// <summary>Parses raw authenticator data.</summary>
    public static AuthenticatorData Parse(ReadOnlySpan<byte> data)
    {
        const string Field = "authenticator data";
        if (data.Length < 37)
        {
            throw new SshFormatException(Field, $"{data.Length} bytes is shorter than rpIdHash, flags and counter (37)");
        }

        var rpIdHash = data[..32].ToArray();
        var flags = data[32];
        var signCount = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(33, 4));
        if ((flags & AttestedCredentialData) == 0)
        {
            throw new SshFormatException(Field, "no attested credential data (AT flag clear)");
        }

        var rest = data[37..];
        if (rest.Length < 18)
        {
            throw new SshFormatException(Field, "the attested credential data is cut short");
        }

        var aaguidBytes = rest[..16].ToArray();
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(rest.Slice(16, 2));
        if (idLength > MaxCredentialIdLength || rest.Length < 18 + idLength)
        {
            throw new SshFormatException(Field, $"credential id length {idLength} is out of bounds");
        }

        var credentialId = rest.Slice(18, idLength).ToArray();
        var tail = rest[(18 + idLength)..].ToArray();
        try
        {
            var cbor = new CborReader(tail, CborConformanceMode.Ctap2Canonical, allowMultipleRootLevelValues: true);
            var key = CredentialKey.Read(cbor);
            if ((flags & ExtensionData) != 0)
            {
                // Present by the flag: one well-formed map, whose contents are not interpreted.
                if (cbor.PeekState() != CborReaderState.StartMap)
                {
                    throw new SshFormatException(Field, "the extensions are not a CBOR map");
                }

                cbor.SkipValue();
            }

            if (cbor.BytesRemaining != 0)
            {
                throw new SshFormatException(Field, $"{cbor.BytesRemaining} bytes after what the flags announce");
            }

            return new AuthenticatorData(rpIdHash, flags, signCount, new Guid(aaguidBytes, bigEndian: true), aaguidBytes, credentialId, key);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException)
        {
            throw new SshFormatException(Field, "the credential public key is not canonical CBOR: " + e.Message);
        }
    }
}
