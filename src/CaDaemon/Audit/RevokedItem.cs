using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// One entry of the KRL: serials of one CA's certificates (<see cref="SerialLo"/>..<see cref="SerialHi"/>),
/// a key (and every certificate of it), a key by its SHA256 fingerprint, or a whole CA key.
/// <see cref="Value"/> is the text an operator reads ("42-50", an OpenSSH line, "SHA256:…");
/// <see cref="Fingerprint"/> the SHA256 fingerprint of a key entry.
/// </summary>
internal sealed record RevokedItem(RevokedKind Kind, SshCertificateType? Ca, ulong SerialLo, ulong SerialHi, string Value, string Fingerprint)
{
    /// <summary>Serials lo..hi of the <paramref name="ca"/> CA's certificates.</summary>
    public static RevokedItem Serials(SshCertificateType ca, ulong lo, ulong hi) =>
        new(RevokedKind.Serial, ca, lo, hi, lo == hi ? lo.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{lo}-{hi}"), string.Empty);
}
