namespace SshHsmCa.Ssh.Krl;

/// <summary>The numbers of the KRL format (PROTOCOL.krl §1–§3), shared by the reader and the writer.</summary>
internal static class KrlWire
{
    public const ulong Magic = 0x5353484B524C0A00;
    public const uint FormatVersion = 1;
    public const byte SectionCertificates = 1;
    public const byte SectionExplicitKey = 2;
    public const byte SectionFingerprintSha1 = 3;
    public const byte SectionSignature = 4;
    public const byte SectionFingerprintSha256 = 5;
    public const byte SectionExtension = 255;
    public const byte SerialList = 0x20;
    public const byte SerialRange = 0x21;
    public const byte SerialBitmap = 0x22;
    public const byte KeyIdList = 0x23;
    public const byte CertificateExtension = 0x39;

}
