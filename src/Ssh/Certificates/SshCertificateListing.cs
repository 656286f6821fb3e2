using System.Globalization;
using System.Text;

namespace SshHsmCa.Ssh.Certificates;

/// <summary>
/// Describes a certificate exactly as <c>ssh-keygen -L</c> prints it (ssh-keygen.c
/// print_cert/show_options), with times in UTC, so operators see the familiar layout and tests
/// can compare our reading of a certificate with OpenSSH's line by line.
/// </summary>
public static class SshCertificateListing
{
    private const string Indent = "        ";
    private const string ItemIndent = "                ";

    /// <summary>The listing; <paramref name="name"/> is the first line's file name.</summary>
    public static string Format(SshCertificate certificate, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var text = new StringBuilder();
        text.Append(name).Append(":\n");
        text.Append(Indent).Append("Type: ").Append(certificate.CertificateType).Append(' ')
            .Append(certificate.Type == SshCertificateType.User ? "user" : "host").Append(" certificate\n");
        text.Append(Indent).Append("Public key: ").Append(certificate.PublicKey.DisplayName).Append("-CERT ")
            .Append(certificate.PublicKey.GetSha256Fingerprint()).Append('\n');
        text.Append(Indent).Append("Signing CA: ").Append(certificate.SignatureKey.DisplayName).Append(' ')
            .Append(certificate.SignatureKey.GetSha256Fingerprint()).Append(" (using ").Append(certificate.Signature.Algorithm).Append(")\n");
        text.Append(Indent).Append("Key ID: \"").Append(certificate.KeyId).Append("\"\n");
        text.Append(Indent).Append("Serial: ").Append(certificate.Serial.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(Indent).Append("Valid: ").Append(FormatValidity(certificate.ValidAfter, certificate.ValidBefore)).Append('\n');
        text.Append(Indent).Append("Principals: ");
        AppendList(text, certificate.Principals);
        text.Append(Indent).Append("Critical Options: ");
        AppendList(text, certificate.CriticalOptions.Select(o => Describe(o, SshOptionKind.Critical)).ToList());
        text.Append(Indent).Append("Extensions: ");
        AppendList(text, certificate.Extensions.Select(o => Describe(o, SshOptionKind.Extension)).ToList());
        return text.ToString();
    }

    /// <summary>sshkey_format_cert_validity, in UTC.</summary>
    public static string FormatValidity(ulong validAfter, ulong validBefore)
    {
        if (validAfter == 0 && validBefore == ulong.MaxValue)
        {
            return "forever";
        }

        if (validAfter == 0)
        {
            return "before " + FormatTime(validBefore);
        }

        return validBefore == ulong.MaxValue
            ? "after " + FormatTime(validAfter)
            : $"from {FormatTime(validAfter)} to {FormatTime(validBefore)}";
    }

    private static string FormatTime(ulong seconds)
    {
        // Years past 9999 do not fit DateTimeOffset; ssh-keygen would print them, we clamp.
        var clamped = (long)Math.Min(seconds, 253402300799UL);
        return DateTimeOffset.FromUnixTimeSeconds(clamped).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
    }

    private static void AppendList(StringBuilder text, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            text.Append("(none)\n");
            return;
        }

        text.Append('\n');
        foreach (var item in items)
        {
            text.Append(ItemIndent).Append(item).Append('\n');
        }
    }

    private static string Describe(SshOption option, SshOptionKind kind)
    {
        if (kind == SshOptionKind.Extension ? SshExtensions.IsStandard(option.Name) : option.Name == SshCriticalOptions.VerifyRequiredName)
        {
            return option.Name;
        }

        if (kind == SshOptionKind.Critical && SshCriticalOptions.IsStandard(option.Name))
        {
            return $"{option.Name} {option.GetStringValue()}";
        }

        return option.IsFlag
            ? $"{option.Name} UNKNOWN FLAG OPTION"
            : $"{option.Name} UNKNOWN OPTION: {Convert.ToHexString(option.Data.Span).ToLowerInvariant()} (len {option.Data.Length})";
    }
}
