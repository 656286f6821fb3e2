using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SshHsmCa.VirtualCards;

/// <summary>
/// The virtual card's attestation chain: a test root standing in for "Yubico PIV Root CA", and
/// per card an F9 key and certificate ("Yubico PIV Attestation") that signs slot attestations
/// with Yubico's extensions (firmware .3.3, serial .3.7, policies .3.8, form factor .3.9).
/// </summary>
public sealed class AttestationAuthority : IDisposable
{
    private readonly RSA _rootKey;

    /// <summary>Creates a fresh test root.</summary>
    public AttestationAuthority()
    {
        _rootKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=Virtual Yubico PIV Root CA Serial 0", _rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(30));
    }

    /// <summary>The test root certificate (what a verifier must trust for the virtual card).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Makes a card's F9 attestation key and its certificate under the root.</summary>
    public (ECDsa Key, byte[] Certificate) IssueDevice(uint serial)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Yubico PIV Attestation", key, HashAlgorithmName.SHA256);
        var serialBytes = BitConverter.GetBytes(serial);
        using var certificate = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForRSA(_rootKey, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20), [.. serialBytes, 0x01]);
        return (key, certificate.RawData);
    }

    /// <summary>The ATTEST answer for a slot: a certificate of the slot's public key signed by the F9 key.</summary>
    public static byte[] Attest(ECDsa f9Key, byte[] f9Certificate, byte slot, SlotKey key, uint serial, byte[] firmware)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var issuer = X509CertificateLoader.LoadCertificate(f9Certificate);
        var subject = new X500DistinguishedName($"CN=YubiKey PIV Attestation {slot:x2}");
        CertificateRequest request = key.Algorithm switch
        {
            0x11 or 0x14 => new CertificateRequest(subject, key.Ec!, HashAlgorithmName.SHA256),
            0xE0 => new CertificateRequest(subject, new PublicKey(new Oid("1.3.101.112"), null, new AsnEncodedData(key.Ed25519Public)), HashAlgorithmName.SHA256),
            _ => new CertificateRequest(subject, RsaPublic(key), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        };
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(serial);
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.3", firmware, false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.7", writer.Encode(), false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.8", [key.PinPolicy, key.TouchPolicy], false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.9", [0x01], false));
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(f9Key), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20), RandomNumberGenerator.GetBytes(8));
        return certificate.RawData;
    }

    private static RSA RsaPublic(SlotKey key)
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = key.Modulus, Exponent = key.Exponent });
        return rsa;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _rootKey.Dispose();
        Root.Dispose();
    }
}
