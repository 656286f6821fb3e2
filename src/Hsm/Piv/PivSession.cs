using System.Buffers.Binary;
using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// The PIV applet's commands over one <see cref="PcscCard"/> (NIST SP 800-73-4 Part 2 §3, with Yubico's PIV extensions). Stateless
/// beyond the card's own state; the caller serialises and holds transactions.
/// </summary>
public sealed class PivSession
{
    private static readonly byte[] PivAid = [0xA0, 0x00, 0x00, 0x03, 0x08];

    /// <summary>The slot of the management key (metadata, authentication).</summary>
    public const byte ManagementSlot = 0x9B;

    /// <summary>The PIN's reference (VERIFY, metadata).</summary>
    public const byte PinReference = 0x80;

    /// <summary>Creates a session on a connected card.</summary>
    public PivSession(PcscCard card)
    {
        Card = card ?? throw new ArgumentNullException(nameof(card));
    }

    /// <summary>The card.</summary>
    public PcscCard Card { get; }

    /// <summary>SELECT the PIV application.</summary>
    public void Select() => Expect(Card.Send(0x00, 0xA4, 0x04, 0x00, PivAid), "SELECT PIV");

    /// <summary>GET VERSION (Yubico): major.minor.patch.</summary>
    public Version GetVersion()
    {
        var data = Expect(Card.Send(0x00, 0xFD, 0x00, 0x00), "GET VERSION");
        if (data.Length != 3)
        {
            throw Malformed("GET VERSION", "3 bytes expected");
        }

        return new Version(data[0], data[1], data[2]);
    }

    /// <summary>GET SERIAL (Yubico, firmware 5+).</summary>
    public uint GetSerial()
    {
        var data = Expect(Card.Send(0x00, 0xF8, 0x00, 0x00), "GET SERIAL");
        if (data.Length != 4)
        {
            throw Malformed("GET SERIAL", "4 bytes expected");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(data);
    }

    /// <summary>
    /// Status words that can mean "the PIV application is not selected" (another PC/SC client
    /// selected something else between our transactions): INS not supported (6D00), CLA not supported
    /// (6E00), function not supported (6A81), file not found (6A82), command not allowed (6986).
    /// A caller seeing one selects PIV and tries once more.
    /// </summary>
    public static bool MaybeNotSelected(ushort statusWord) => statusWord is 0x6D00 or 0x6E00 or 0x6A81 or 0x6A82 or 0x6986;

    /// <summary>ISO 7816-4 6982, security status not satisfied: a PIN, the management key or a touch is missing.</summary>
    public const ushort SecurityStatusNotSatisfied = 0x6982;

    /// <summary>
    /// VERIFY with no data (NIST SP 800-73-4 Part 2 §3.2.1): asks whether the PIN is verified in this
    /// card session without spending a try. The response is returned as is, so that a caller can
    /// tell "not selected" (<see cref="MaybeNotSelected"/>) from "verified" (9000) and "needed".
    /// </summary>
    public ResponseApdu QueryPinVerified() => Card.Send(0x00, 0x20, 0x00, PinReference);

    /// <summary>Tries left for the PIN without spending one (0 means blocked), or null when already verified.</summary>
    public int? PinTriesLeft()
    {
        var response = Card.Send(0x00, 0x20, 0x00, PinReference);
        return response.StatusWord switch
        {
            0x9000 => null,
            0x6983 => 0,
            _ when (response.StatusWord & 0xFFF0) == 0x63C0 => response.StatusWord & 0x0F,
            _ => throw Status("VERIFY (query)", response.StatusWord),
        };
    }

    /// <summary>VERIFY the PIN (6–8 bytes).</summary>
    /// <exception cref="HsmException"><see cref="HsmErrorKind.PinIncorrect"/> with the tries left, or <see cref="HsmErrorKind.PinLocked"/>.</exception>
    public void VerifyPin(ReadOnlySpan<byte> pin)
    {
        if (pin.Length is < 6 or > 8)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"a PIV PIN is 6 to 8 characters, got {pin.Length}");
        }

        Span<byte> padded = stackalloc byte[8];
        padded.Fill(0xFF);
        pin.CopyTo(padded);
        var response = Card.Send(0x00, 0x20, 0x00, PinReference, padded);
        CryptographicOperations.ZeroMemory(padded);
        if (response.StatusWord == 0x9000)
        {
            return;
        }

        if (response.StatusWord == 0x6983)
        {
            throw new HsmException(HsmErrorKind.PinLocked, $"'{Card.Reader}': the PIV PIN is blocked; reset it with the PUK");
        }

        if ((response.StatusWord & 0xFFF0) == 0x63C0)
        {
            var left = response.StatusWord & 0x0F;
            throw new HsmException(left == 0 ? HsmErrorKind.PinLocked : HsmErrorKind.PinIncorrect, $"'{Card.Reader}': wrong PIV PIN, {left} tries left");
        }

        throw Status("VERIFY", response.StatusWord);
    }

    /// <summary>GET METADATA for a key slot (firmware 5.3+).</summary>
    public PivSlotMetadata GetMetadata(byte slot)
    {
        var data = Expect(Card.Send(0x00, 0xF7, 0x00, slot), $"GET METADATA {slot:x2}");
        var tlvs = Parse(data, "GET METADATA");
        var algorithm = (PivAlgorithm)(Tlv.Find(tlvs, 0x01) is [var a] ? a : 0);
        var policy = Tlv.Find(tlvs, 0x02);
        var origin = Tlv.Find(tlvs, 0x03) is [var o] ? (PivKeyOrigin)o : PivKeyOrigin.Unknown;
        var publicKey = Tlv.Find(tlvs, 0x04) ?? throw Malformed("GET METADATA", $"slot {slot:x2} reports no public key");
        return new PivSlotMetadata(
            algorithm,
            policy is [var pin, _] ? (PivPinPolicy)pin : PivPinPolicy.Default,
            policy is [_, var touch] ? (PivTouchPolicy)touch : PivTouchPolicy.Default,
            origin,
            ParsePublicKey(algorithm, publicKey));
    }

    /// <summary>The management key's algorithm from GET METADATA 9B (3DES when the card has no metadata).</summary>
    public PivAlgorithm GetManagementKeyAlgorithm()
    {
        var response = Card.Send(0x00, 0xF7, 0x00, ManagementSlot);
        if (response.StatusWord is 0x6D00 or 0x6A81 or 0x6B00)
        {
            return PivAlgorithm.TripleDes;
        }

        var tlvs = Parse(Expect(response, "GET METADATA 9b"), "GET METADATA 9b");
        return Tlv.Find(tlvs, 0x01) is [var a] ? (PivAlgorithm)a : PivAlgorithm.TripleDes;
    }

    /// <summary>Mutual authentication with the management key (needed before GENERATE and PUT DATA).</summary>
    public void AuthenticateManagementKey(ReadOnlySpan<byte> key)
    {
        var algorithm = GetManagementKeyAlgorithm();
        var size = PivManagementKey.BlockSize(algorithm);
        var step1 = Expect(Card.Send(0x00, 0x87, (byte)algorithm, ManagementSlot, [0x7C, 0x02, 0x80, 0x00]), "management key authentication (witness)");
        var witness = Tlv.Find(Parse(Tlv.Find(Parse(step1, "witness"), 0x7C) ?? throw Malformed("authentication", "no 7C"), "witness"), 0x80);
        if (witness is null || witness.Length != size)
        {
            throw Malformed("authentication", "no witness of the block size");
        }

        var decrypted = PivManagementKey.Decrypt(algorithm, key, witness);
        var challenge = RandomNumberGenerator.GetBytes(size);
        var request = Tlv.Encode(0x7C, Tlv.Concat(Tlv.Encode(0x80, decrypted), Tlv.Encode(0x81, challenge)));
        var response = Card.Send(0x00, 0x87, (byte)algorithm, ManagementSlot, request);
        if (response.StatusWord == 0x6982)
        {
            throw new HsmException(HsmErrorKind.PinIncorrect, $"'{Card.Reader}': the management key was refused");
        }

        var step2 = Expect(response, "management key authentication (response)");
        var answer = Tlv.Find(Parse(Tlv.Find(Parse(step2, "response"), 0x7C) ?? throw Malformed("authentication", "no 7C"), "response"), 0x82);
        var expected = PivManagementKey.Encrypt(algorithm, key, challenge);
        if (answer is null || !CryptographicOperations.FixedTimeEquals(answer, expected))
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"'{Card.Reader}': the card did not prove the management key (not the expected card?)");
        }
    }

    /// <summary>GENERATE ASYMMETRIC KEY PAIR in <paramref name="slot"/> (management key authenticated first).</summary>
    public SshPublicKey Generate(byte slot, PivAlgorithm algorithm, PivPinPolicy pinPolicy, PivTouchPolicy touchPolicy)
    {
        var template = new List<byte[]> { Tlv.Encode(0x80, [(byte)algorithm]) };
        if (pinPolicy != PivPinPolicy.Default)
        {
            template.Add(Tlv.Encode(0xAA, [(byte)pinPolicy]));
        }

        if (touchPolicy != PivTouchPolicy.Default)
        {
            template.Add(Tlv.Encode(0xAB, [(byte)touchPolicy]));
        }

        var data = Expect(Card.Send(0x00, 0x47, 0x00, slot, Tlv.Encode(0xAC, Tlv.Concat([.. template]))), $"GENERATE {slot:x2}");
        var outer = Parse(data, "GENERATE");
        var inner = Tlv.Find(outer, 0x7F49) ?? throw Malformed("GENERATE", "no 7F49 public key template");
        return ParsePublicKey(algorithm, inner);
    }

    /// <summary>GENERAL AUTHENTICATE: a private-key operation on <paramref name="input"/>; returns the raw result (DER for ECDSA).</summary>
    public ResponseApdu Sign(byte slot, PivAlgorithm algorithm, ReadOnlySpan<byte> input)
    {
        var request = Tlv.Encode(0x7C, Tlv.Concat([0x82, 0x00], Tlv.Encode(0x81, input)));
        return Card.Send(0x00, 0x87, (byte)algorithm, slot, request);
    }

    /// <summary>The signature inside a successful GENERAL AUTHENTICATE response.</summary>
    public static byte[] SignatureFrom(ResponseApdu response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var outer = Tlv.Find(Parse(response.Data, "GENERAL AUTHENTICATE"), 0x7C) ?? throw Malformed("GENERAL AUTHENTICATE", "no 7C");
        return Tlv.Find(Parse(outer, "GENERAL AUTHENTICATE"), 0x82) ?? throw Malformed("GENERAL AUTHENTICATE", "no 82");
    }

    /// <summary>ATTEST: the slot's attestation certificate (DER), signed by the F9 key. Null when the card has none (imported key).</summary>
    public byte[]? Attest(byte slot)
    {
        var response = Card.Send(0x00, 0xF9, slot, 0x00);
        if (response.StatusWord is 0x6A80 or 0x6A88 or 0x6D00)
        {
            return null;
        }

        var data = Expect(response, $"ATTEST {slot:x2}");
        return data is [0x70, ..] ? Tlv.Find(Parse(data, "ATTEST"), 0x70) : data;
    }

    /// <summary>GET DATA for an object (e.g. 5FC10A, 5FFF01); null when empty.</summary>
    public byte[]? GetObject(int tag)
    {
        var response = Card.Send(0x00, 0xCB, 0x3F, 0xFF, Tlv.Encode(0x5C, ObjectId(tag)));
        if (response.StatusWord == 0x6A82)
        {
            return null;
        }

        var data = Expect(response, $"GET DATA {tag:X6}");
        return Tlv.Find(Parse(data, "GET DATA"), 0x53) ?? throw Malformed("GET DATA", "no 53");
    }

    /// <summary>The certificate (DER) stored in a certificate object, or null.</summary>
    public byte[]? GetCertificate(int tag) => GetObject(tag) is { } value ? Tlv.Find(Parse(value, "certificate object"), 0x70) : null;

    /// <summary>PUT DATA: stores a certificate (DER) in a certificate object (management key authenticated first).</summary>
    public void PutCertificate(int tag, ReadOnlySpan<byte> der)
    {
        var value = Tlv.Concat(Tlv.Encode(0x70, der), Tlv.Encode(0x71, [0x00]), Tlv.Encode(0xFE, []));
        Expect(Card.Send(0x00, 0xDB, 0x3F, 0xFF, Tlv.Concat(Tlv.Encode(0x5C, ObjectId(tag)), Tlv.Encode(0x53, value))), $"PUT DATA {tag:X6}");
    }

    /// <summary>The certificate object of a key slot (9a→5FC105, 9c→5FC10A, 9d→5FC10B, 9e→5FC101, 82…95→5FC10D…).</summary>
    public static int CertificateObject(byte slot) => slot switch
    {
        0x9A => 0x5FC105,
        0x9C => 0x5FC10A,
        0x9D => 0x5FC10B,
        0x9E => 0x5FC101,
        >= 0x82 and <= 0x95 => 0x5FC10D + (slot - 0x82),
        0xF9 => 0x5FFF01,
        _ => throw new HsmException(HsmErrorKind.Configuration, $"slot {slot:x2} has no certificate object"),
    };

    private static byte[] ObjectId(int tag) => [(byte)(tag >> 16), (byte)(tag >> 8), (byte)tag];

    /// <summary>Parses the public key TLVs of metadata (04) or GENERATE (7F49).</summary>
    public static SshPublicKey ParsePublicKey(PivAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        var tlvs = Parse(data, "public key");
        try
        {
            switch (algorithm)
            {
                case PivAlgorithm.EccP256:
                case PivAlgorithm.EccP384:
                    var point = Tlv.Find(tlvs, 0x86) ?? throw Malformed("public key", "no 86 point");
                    return EcdsaPublicKey.Create(algorithm == PivAlgorithm.EccP256 ? EcCurve.NistP256 : EcCurve.NistP384, point);
                case PivAlgorithm.Ed25519:
                    return Ed25519PublicKey.Create(Tlv.Find(tlvs, 0x86) ?? throw Malformed("public key", "no 86 key"));
                case PivAlgorithm.Rsa2048:
                case PivAlgorithm.Rsa3072:
                case PivAlgorithm.Rsa4096:
                case PivAlgorithm.Rsa1024:
                    var modulus = Tlv.Find(tlvs, 0x81) ?? throw Malformed("public key", "no 81 modulus");
                    var exponent = Tlv.Find(tlvs, 0x82) ?? throw Malformed("public key", "no 82 exponent");
                    return RsaPublicKey.Create(exponent, modulus);
                default:
                    throw new HsmException(HsmErrorKind.UnsupportedKey, $"a {algorithm} key cannot be an SSH CA key");
            }
        }
        catch (Exception e) when (e is ArgumentException or Ssh.SshFormatException)
        {
            throw Malformed("public key", e.Message);
        }
    }

    private static IReadOnlyList<(int Tag, byte[] Value)> Parse(ReadOnlySpan<byte> data, string what)
    {
        try
        {
            return Tlv.Parse(data);
        }
        catch (FormatException e)
        {
            throw Malformed(what, e.Message);
        }
    }

    private byte[] Expect(ResponseApdu response, string what) =>
        response.IsSuccess ? response.Data : throw Status(what, response.StatusWord);

    private HsmException Status(string what, ushort sw) => new(
        sw switch
        {
            0x6A82 or 0x6A88 => HsmErrorKind.KeyNotFound,
            0x6982 => HsmErrorKind.PinIncorrect,
            0x6983 => HsmErrorKind.PinLocked,
            _ => HsmErrorKind.DeviceUnavailable,
        },
        $"'{Card.Reader}': {what} failed with status {sw:X4} ({Describe(sw)})");

    private static HsmException Malformed(string what, string problem) => new(HsmErrorKind.DeviceUnavailable, $"{what}: malformed answer from the card: {problem}");

    /// <summary>A short meaning of common status words.</summary>
    public static string Describe(ushort sw) => sw switch
    {
        0x6982 => "security status not satisfied: PIN, management key or touch missing",
        0x6983 => "authentication method blocked",
        0x6A80 => "incorrect data",
        0x6A81 => "function not supported",
        0x6A82 => "not found",
        0x6A86 => "incorrect P1/P2",
        0x6A88 => "referenced data not found",
        0x6D00 => "instruction not supported",
        0x6E00 => "class not supported",
        0x6700 => "wrong length",
        _ => "unexpected",
    };
}
