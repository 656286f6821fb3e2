using System.Globalization;

namespace SshHsmCa.Hsm.Piv;

/// <summary>Where a PIV CA key is and how to use it. Written as a URI: <c>piv:slot=9c;serial=12345678</c> (or <c>reader=NAME</c>).</summary>
public sealed record PivCaKeyOptions
{
    /// <summary>The reader's exact name (optional; otherwise the card is found by serial, or the only reader is used).</summary>
    public string? Reader { get; init; }

    /// <summary>The YubiKey's serial number (optional).</summary>
    public uint? Serial { get; init; }

    /// <summary>The key slot: 9a, 9c, 9d, 9e or a retired slot 82–95.</summary>
    public byte Slot { get; init; } = 0x9C;

    /// <summary>The public key the operator expects (OpenSSH line or SHA256 fingerprint).</summary>
    public string? ExpectedPublicKey { get; init; }

    /// <summary>Refuse a key that was imported rather than generated on the device (metadata origin and attestation).</summary>
    public bool RequireGeneratedOnDevice { get; init; } = true;

    /// <summary>How long a signature may take before the daemon announces "touch the YubiKey".</summary>
    public TimeSpan TouchPromptDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The deadline of one signature including the wait for a touch.</summary>
    public TimeSpan SignTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>RSA keys sign <c>rsa-sha2-512</c> (default) or <c>rsa-sha2-256</c>.</summary>
    public string RsaSignatureAlgorithm { get; init; } = Ssh.Signatures.SshSignatureAlgorithms.RsaSha512;

    /// <summary>Parses <c>piv:slot=9c;serial=N;reader=NAME</c> (percent-encoding allowed in values).</summary>
    /// <exception cref="HsmException"><see cref="HsmErrorKind.Configuration"/> naming the problem.</exception>
    public static PivCaKeyOptions Parse(string uri, string? expectedPublicKey = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith("piv:", StringComparison.Ordinal))
        {
            throw new HsmException(HsmErrorKind.Configuration, $"'{uri}' is not a piv: URI");
        }

        string? reader = null;
        uint? serial = null;
        byte? slot = null;
        foreach (var part in uri[4..].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new HsmException(HsmErrorKind.Configuration, $"piv URI: '{part}' is not name=value");
            }

            var name = part[..eq];
            var value = Uri.UnescapeDataString(part[(eq + 1)..]);
            switch (name)
            {
                case "slot" when byte.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var s) && IsKeySlot(s):
                    slot = s;
                    break;
                case "slot":
                    throw new HsmException(HsmErrorKind.Configuration, $"piv URI: slot '{value}' is not a key slot (9a, 9c, 9d, 9e, 82-95)");
                case "serial" when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    serial = n;
                    break;
                case "serial":
                    throw new HsmException(HsmErrorKind.Configuration, $"piv URI: serial '{value}' is not a number");
                case "reader" when value.Length is > 0 and <= 256:
                    reader = value;
                    break;
                default:
                    throw new HsmException(HsmErrorKind.Configuration, $"piv URI: unknown or bad attribute '{name}' (slot, serial, reader)");
            }
        }

        return new PivCaKeyOptions
        {
            Slot = slot ?? throw new HsmException(HsmErrorKind.Configuration, "piv URI: slot= is required"),
            Serial = serial,
            Reader = reader,
            ExpectedPublicKey = expectedPublicKey,
        };
    }

    /// <summary>True for slots that hold private keys usable for signing.</summary>
    public static bool IsKeySlot(byte slot) => slot is 0x9A or 0x9C or 0x9D or 0x9E or (>= 0x82 and <= 0x95);
}
