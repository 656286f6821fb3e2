using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// Checks a YubiKey PIV attestation: the slot certificate is signed by the device's F9
/// certificate, which is signed by one of the trusted roots (Yubico's PIV root, and the U2F root
/// that signed some 2018 F9 certificates). Each signature is checked here rather than by a generic
/// X.509 path validation, because real chains break its rules (an F9 certificate not marked CA
/// under a pathlen-0 root; see vectors/yubico-attestation/README.md).
/// </summary>
public static class PivAttestation
{
    private const string Arc = "1.3.6.1.4.1.41482.3.";

    /// <summary>
    /// Yubico's attestation roots, bundled: "Yubico PIV Root CA Serial 263751" and the U2F root
    /// that signed some 2018 F9 certificates. (Firmware 5.7.4+ attests under "Yubico Attestation
    /// Root 1" through intermediates the card does not carry; not bundled yet.)
    /// </summary>
    public static IReadOnlyList<X509Certificate2> YubicoRoots { get; } = LoadRoots();

    private static X509Certificate2[] LoadRoots()
    {
        var assembly = typeof(PivAttestation).Assembly;
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("roots/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return X509Certificate2.CreateFromPem(reader.ReadToEnd());
            })];
    }

    /// <summary>What a valid attestation says.</summary>
    /// <param name="Serial">The YubiKey's serial number.</param>
    /// <param name="Firmware">Its firmware version.</param>
    /// <param name="PinPolicy">The slot's PIN policy.</param>
    /// <param name="TouchPolicy">The slot's touch policy.</param>
    /// <param name="Root">The subject of the root that anchors the chain.</param>
    /// <param name="SubjectPublicKeyInfo">The attested key (DER SubjectPublicKeyInfo).</param>
    public sealed record Statement(uint? Serial, Version? Firmware, PivPinPolicy PinPolicy, PivTouchPolicy TouchPolicy, string Root, byte[] SubjectPublicKeyInfo);

    /// <summary>Verifies the chain and reads the statement.</summary>
    /// <exception cref="CryptographicException">The chain does not verify; the message says which link.</exception>
    public static Statement Verify(byte[] slotAttestation, byte[] deviceCertificate, IEnumerable<X509Certificate2> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        using var slot = X509CertificateLoader.LoadCertificate(slotAttestation);
        using var device = X509CertificateLoader.LoadCertificate(deviceCertificate);
        if (!slot.IssuerName.RawData.AsSpan().SequenceEqual(device.SubjectName.RawData))
        {
            throw new CryptographicException($"the slot attestation is issued by '{slot.Issuer}', not by the device certificate '{device.Subject}'");
        }

        if (!SignedBy(slotAttestation, device))
        {
            throw new CryptographicException("the slot attestation's signature does not verify with the device (F9) key: not from this YubiKey");
        }

        var root = roots.FirstOrDefault(r => r.SubjectName.RawData.AsSpan().SequenceEqual(device.IssuerName.RawData) && SignedBy(deviceCertificate, r))
            ?? throw new CryptographicException($"the device certificate '{device.Subject}' (issuer '{device.Issuer}') is not signed by a trusted attestation root");

        var now = DateTime.UtcNow;
        if (now > slot.NotAfter || now > device.NotAfter)
        {
            throw new CryptographicException("the attestation chain has expired");
        }

        uint? serial = null;
        Version? firmware = null;
        var pin = PivPinPolicy.Default;
        var touch = PivTouchPolicy.Default;
        foreach (var extension in slot.Extensions)
        {
            var raw = extension.RawData;
            switch (extension.Oid?.Value)
            {
                case Arc + "3" when raw.Length == 3:
                    firmware = new Version(raw[0], raw[1], raw[2]);
                    break;
                case Arc + "7":
                    var reader = new AsnReader(raw, AsnEncodingRules.DER);
                    serial = reader.TryReadUInt32(out var s) ? s : null;
                    break;
                case Arc + "8" when raw.Length == 2:
                    pin = (PivPinPolicy)raw[0];
                    touch = (PivTouchPolicy)raw[1];
                    break;
            }
        }

        return new Statement(serial, firmware, pin, touch, root.Subject, slot.PublicKey.ExportSubjectPublicKeyInfo());
    }

    private static bool SignedBy(byte[] certificate, X509Certificate2 issuer)
    {
        ReadOnlyMemory<byte> tbs;
        string algorithm;
        byte[] signature;
        try
        {
            var reader = new AsnReader(certificate, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            tbs = sequence.ReadEncodedValue();
            var algorithmSequence = sequence.ReadSequence();
            algorithm = algorithmSequence.ReadObjectIdentifier();
            signature = sequence.ReadBitString(out _);
        }
        catch (AsnContentException)
        {
            return false;
        }

        var hash = algorithm switch
        {
            "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
            "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
            "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
            _ => default,
        };
        if (hash == default)
        {
            return false;
        }

        if (algorithm.StartsWith("1.2.840.113549", StringComparison.Ordinal))
        {
            using var rsa = issuer.GetRSAPublicKey();
            return rsa is not null && rsa.VerifyData(tbs.Span, signature, hash, RSASignaturePadding.Pkcs1);
        }

        using var ec = issuer.GetECDsaPublicKey();
        return ec is not null && ec.VerifyData(tbs.Span, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }
}
