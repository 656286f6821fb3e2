using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>A throwaway TLS PKI for a test: a CA, a server certificate for 127.0.0.1 and client certificates.</summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestPki(string name)
    {
        var request = new CertificateRequest($"CN={name} test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Issue(string subject, bool server, DateTimeOffset? notAfter = null) =>
        Issue(subject, server, notAfter, server ? ["1.3.6.1.5.5.7.3.1"] : ["1.3.6.1.5.5.7.3.2"]);

    /// <summary>A certificate with exactly the extended key usages <paramref name="usages"/> (none: no EKU extension).</summary>
    public X509Certificate2 Issue(string subject, bool server, DateTimeOffset? notAfter, string[] usages)
    {
        ArgumentNullException.ThrowIfNull(usages);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (usages.Length > 0)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        var end = notAfter ?? DateTimeOffset.UtcNow.AddHours(12);
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-5) < end ? DateTimeOffset.UtcNow.AddMinutes(-5) : end.AddMinutes(-10), end, serial);
        return issued.CopyWithPrivateKey(key);
    }

    public static void WritePem(X509Certificate2 certificate, string certificatePath, string? keyPath)
    {
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        if (keyPath is not null)
        {
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public void Dispose()
    {
        _caKey.Dispose();
        Ca.Dispose();
    }
}
