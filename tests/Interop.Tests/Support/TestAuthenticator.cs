using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// A software security key for tests (issue 29): tests/Interop.Tests/SecurityKeys/sk-test-provider.c,
/// built here with cc against OpenSSL, loaded by OpenSSH's own ssh-keygen, ssh-agent and ssh as a
/// security-key provider (<c>-w</c> / <c>SSH_SK_PROVIDER</c>), with an attestation PKI of the test:
/// a root, an intermediate, and an attestation certificate that carries the model's AAGUID.
/// </summary>
public sealed class TestAuthenticator : IDisposable
{
    public static readonly Guid Model = new("00112233-4455-6677-8899-aabbccddeeff");

    private readonly TempDir _dir = new("sshhsmca-sk-");
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestAuthenticator()
    {
        var source = Path.Combine(Repository.Root, "tests", "Interop.Tests", "SecurityKeys", "sk-test-provider.c");
        Provider = _dir.PathOf("sk-test-provider.so");
        var cc = ProcessRunner.Run(Tools.Require("/usr/bin/cc"), ["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", Provider, source, "-lcrypto"]);
        Assert.True(cc.ExitCode == 0, "building the test security-key provider (needs gcc and libssl-dev): " + cc.Output);

        Root = Authority("CN=SshHsmCa Test FIDO Root", _rootKey, null, null);
        Intermediate = Authority("CN=SshHsmCa Test FIDO Intermediate", _intermediateKey, Root, _rootKey);
        UseAttestation(Model);
    }

    /// <summary>The built provider (a shared library).</summary>
    public string Provider { get; }

    /// <summary>The attestation root to pin.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The intermediate the attestation certificate is issued by.</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>The environment the provider reads; tests change entries for hostile cases.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// A fresh attestation certificate (issued by the intermediate, or self-signed) with an AAGUID
    /// extension for <paramref name="certificateModel"/> (none when null); the provider signs with its key.
    /// </summary>
    public void UseAttestation(Guid? certificateModel, bool selfSigned = false, bool ca = false, Guid? authenticatorModel = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SshHsmCa Test Authenticator Attestation, OU=Authenticator Attestation", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        if (certificateModel is { } model)
        {
            var der = new AsnWriter(AsnEncodingRules.DER);
            der.WriteOctetString(model.ToByteArray(bigEndian: true));
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.45724.1.1.4", der.Encode(), false));
        }

        var now = DateTimeOffset.UtcNow;
        using var certificate = selfSigned
            ? request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1))
            : request.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(_intermediateKey), now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        File.WriteAllBytes(_dir.PathOf("attestation.der"), certificate.RawData);
        File.WriteAllText(_dir.PathOf("attestation.key"), key.ExportPkcs8PrivateKeyPem());
        Environment["SK_TEST_ATTESTATION_KEY"] = _dir.PathOf("attestation.key");
        Environment["SK_TEST_ATTESTATION_CERT"] = _dir.PathOf("attestation.der");
        Environment["SK_TEST_AAGUID"] = Convert.ToHexString((authenticatorModel ?? Model).ToByteArray(bigEndian: true));
    }

    /// <summary>
    /// Enrolls a key with Debian's ssh-keygen through the provider: <c>ssh-keygen -t TYPE -w PROVIDER
    /// -O challenge=FILE -O write-attestation=FILE</c>. Returns the private key path (the public key
    /// beside it as .pub) and the attestation file's bytes.
    /// </summary>
    public (string Key, byte[] Attestation) Enroll(string type, byte[] challenge, bool verifyRequired = false, string? application = null)
    {
        var name = $"{type}-{Guid.NewGuid():N}";
        var challengeFile = _dir.PathOf(name + ".challenge");
        File.WriteAllBytes(challengeFile, challenge);
        var key = _dir.PathOf(name);
        var attestation = _dir.PathOf(name + ".attestation");
        List<string> arguments = ["-q", "-t", type, "-w", Provider, "-N", "", "-C", name, "-O", "challenge=" + challengeFile, "-O", "write-attestation=" + attestation, "-f", key];
        if (verifyRequired)
        {
            arguments.AddRange(["-O", "verify-required"]);
        }

        if (application is not null)
        {
            arguments.AddRange(["-O", "application=" + application]);
        }

        var result = ProcessRunner.Run(Tools.SshKeygen, arguments, Environment);
        Assert.True(result.ExitCode == 0, "ssh-keygen enrollment through the test provider: " + result.Output);
        return (key, File.ReadAllBytes(attestation));
    }

    /// <summary>
    /// libfido2's own verdict on an attestation (<c>fido2-cred -V</c>, Debian's fido2-tools): an
    /// independent check of the signature over the authenticator data and the client data hash.
    /// It checks neither the chain, CA=false, the AAGUID nor trailing bytes, so it is a cross-check
    /// of what passes, never the verdict on what must be refused.
    /// </summary>
    internal static ProcessRunner.Result Fido2CredVerify(byte[] attestation, byte[] challenge, string application, bool ed25519, string format)
    {
        var blob = SshHsmCa.Ssh.SecurityKeys.SkAttestation.Parse(attestation);
        var data = SshHsmCa.Ssh.SecurityKeys.AuthenticatorData.Parse(blob.AuthenticatorData.Span);
        var raw = blob.AuthenticatorData.ToArray();
        byte[] wrapped = raw.Length < 256 ? [0x58, (byte)raw.Length, .. raw] : [0x59, (byte)(raw.Length >> 8), (byte)raw.Length, .. raw];
        var input = string.Join('\n',
            Convert.ToBase64String(SHA256.HashData(challenge)), application, format, Convert.ToBase64String(wrapped),
            Convert.ToBase64String(data.CredentialId.Span), Convert.ToBase64String(blob.Signature.Span), Convert.ToBase64String(blob.Certificate.Span)) + "\n";
        return ProcessRunner.Run(Tools.Require("/usr/bin/fido2-cred"), ["-V", ed25519 ? "eddsa" : "es256"], stdin: System.Text.Encoding.UTF8.GetBytes(input));
    }

    public void Dispose()
    {
        _dir.Dispose();
        Root.Dispose();
        Intermediate.Dispose();
        _rootKey.Dispose();
        _intermediateKey.Dispose();
    }

    private static X509Certificate2 Authority(string subject, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        }

        return request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey!), now.AddDays(-1), now.AddYears(1), RandomNumberGenerator.GetBytes(8));
    }
}
