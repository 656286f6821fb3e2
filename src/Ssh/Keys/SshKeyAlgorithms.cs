namespace SshHsmCa.Ssh.Keys;

/// <summary>OpenSSH key and certificate type names (RFC 4253 §6.6, RFC 5656 §6.2, RFC 8709 §4, PROTOCOL.certkeys).</summary>
public static class SshKeyAlgorithms
{
    /// <summary>Ed25519.</summary>
    public const string Ed25519 = "ssh-ed25519";

    /// <summary>ECDSA on NIST P-256.</summary>
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";

    /// <summary>ECDSA on NIST P-384.</summary>
    public const string EcdsaP384 = "ecdsa-sha2-nistp384";

    /// <summary>ECDSA on NIST P-521.</summary>
    public const string EcdsaP521 = "ecdsa-sha2-nistp521";

    /// <summary>RSA (the key type; signatures are rsa-sha2-256/512).</summary>
    public const string Rsa = "ssh-rsa";

    /// <summary>FIDO security key, ECDSA P-256 (PROTOCOL.u2f).</summary>
    public const string SkEcdsaP256 = "sk-ecdsa-sha2-nistp256@openssh.com";

    /// <summary>FIDO security key, Ed25519 (PROTOCOL.u2f).</summary>
    public const string SkEd25519 = "sk-ssh-ed25519@openssh.com";

    private const string CertSuffix = "-cert-v01@openssh.com";

    /// <summary>Every plain key type this library reads.</summary>
    public static IReadOnlyList<string> PlainTypes { get; } =
        [Ed25519, EcdsaP256, EcdsaP384, EcdsaP521, Rsa, SkEcdsaP256, SkEd25519];

    /// <summary>The certificate type for a plain key type, e.g. <c>ssh-ed25519-cert-v01@openssh.com</c>.</summary>
    public static string CertificateTypeFor(string plainType) => plainType switch
    {
        Ed25519 => "ssh-ed25519-cert-v01@openssh.com",
        EcdsaP256 => "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        EcdsaP384 => "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        EcdsaP521 => "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        Rsa => "ssh-rsa-cert-v01@openssh.com",
        SkEcdsaP256 => "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        SkEd25519 => "sk-ssh-ed25519-cert-v01@openssh.com",
        _ => throw new ArgumentException($"unknown key type '{plainType}'", nameof(plainType)),
    };

    /// <summary>The plain key type of a certificate type, or null when the name is not one.</summary>
    public static string? PlainTypeForCertificate(ReadOnlySpan<byte> certType)
    {
        // The sk types put "@openssh.com" at the end of the plain name too, so match whole names.
        foreach (var plain in PlainTypes)
        {
            if (Matches(certType, plain))
            {
                return plain;
            }
        }

        return null;

        static bool Matches(ReadOnlySpan<byte> name, string plain)
        {
            var stem = plain.AsSpan();
            if (stem.EndsWith("@openssh.com", StringComparison.Ordinal))
            {
                stem = stem[..^"@openssh.com".Length];
            }

            if (name.Length != stem.Length + CertSuffix.Length)
            {
                return false;
            }

            for (var i = 0; i < stem.Length; i++)
            {
                if (name[i] != stem[i])
                {
                    return false;
                }
            }

            for (var i = 0; i < CertSuffix.Length; i++)
            {
                if (name[stem.Length + i] != CertSuffix[i])
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Looks up a plain key type name read from the wire; null when unknown.</summary>
    public static string? FindPlainType(ReadOnlySpan<byte> name)
    {
        foreach (var plain in PlainTypes)
        {
            if (name.Length == plain.Length && IsAscii(name, plain))
            {
                return plain;
            }
        }

        return null;
    }

    internal static bool IsAscii(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
