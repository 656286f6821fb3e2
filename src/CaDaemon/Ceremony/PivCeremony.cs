using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Hsm;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Ceremony;

/// <summary>
/// The YubiKey PIV key ceremony (GeneratePivKey): a new key generated in a slot with the
/// management key, its attestation checked against Yubico's roots (and the configured extra
/// ones), never in a slot that holds one of this daemon's CA keys.
/// </summary>
internal sealed partial class PivCeremony(PivOptions? options, Func<IEnumerable<(string Ca, string? Uri)>> configuredKeys, ILogger<PivCeremony> logger)
{
    /// <summary>What the operator asked for, as the API spells it (empty: the default).</summary>
    public sealed record Request(string Uri, string Algorithm, string PinPolicy, string TouchPolicy);

    /// <summary>The new key, its attestation and the verdict on it.</summary>
    public sealed record Outcome(PivKeyCeremony.Result Made, byte Slot, string AttestationPem, bool AttestationVerified, string AttestationRoot, string AttestationProblem);

    /// <exception cref="InvalidRequestException">A field is malformed.</exception>
    /// <exception cref="RefusedException">The slot is in use, or no management key is configured.</exception>
    /// <exception cref="CeremonyFailedException">The card refused or went away.</exception>
    public async Task<Outcome> GenerateAsync(CallerIdentity caller, Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        PivCaKeyOptions where;
        try
        {
            where = PivCaKeyOptions.Parse(request.Uri);
        }
        catch (HsmException e)
        {
            throw new InvalidRequestException("uri", e.Message);
        }

        var algorithm = (request.Algorithm.Length == 0 ? "p256" : request.Algorithm) switch
        {
            "p256" => PivAlgorithm.EccP256,
            "p384" => PivAlgorithm.EccP384,
            "ed25519" => PivAlgorithm.Ed25519,
            "rsa2048" => PivAlgorithm.Rsa2048,
            "rsa3072" => PivAlgorithm.Rsa3072,
            "rsa4096" => PivAlgorithm.Rsa4096,
            _ => throw new InvalidRequestException("algorithm", $"'{Quoted.Short(request.Algorithm)}' is not p256, p384, ed25519, rsa2048, rsa3072 or rsa4096"),
        };
        var pin = (request.PinPolicy.Length == 0 ? "once" : request.PinPolicy) switch
        {
            "never" => PivPinPolicy.Never,
            "once" => PivPinPolicy.Once,
            "always" => PivPinPolicy.Always,
            _ => throw new InvalidRequestException("pin_policy", $"'{Quoted.Short(request.PinPolicy)}' is not never, once or always"),
        };
        var touch = (request.TouchPolicy.Length == 0 ? "cached" : request.TouchPolicy) switch
        {
            "never" => PivTouchPolicy.Never,
            "always" => PivTouchPolicy.Always,
            "cached" => PivTouchPolicy.Cached,
            _ => throw new InvalidRequestException("touch_policy", $"'{Quoted.Short(request.TouchPolicy)}' is not never, always or cached"),
        };

        foreach (var (name, uri) in configuredKeys())
        {
            if (CaKeys.PivSlot(uri) is { } used && used.Slot == where.Slot && (used.Serial is null || where.Serial is null || used.Serial == where.Serial))
            {
                throw new RefusedException(Refusal.SlotInUse, $"slot {where.Slot:x2} holds this daemon's {name} CA key; generating would replace it (stop using it first)");
            }
        }

        var managementKey = ReadManagementKey();
        PivKeyCeremony.Result made;
        try
        {
            made = await Task.Run(() => PivKeyCeremony.Generate(where, algorithm, pin, touch, managementKey), cancellationToken).ConfigureAwait(false);
        }
        catch (HsmException e)
        {
            throw new CeremonyFailedException(e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(managementKey);
        }

        var verified = false;
        var root = string.Empty;
        var problem = string.Empty;
        try
        {
            var statement = PivAttestation.Verify(made.Attestation, made.DeviceCertificate ?? throw new CryptographicException("the device has no F9 attestation certificate"), AttestationRoots());
            verified = statement.SubjectPublicKeyInfo.AsSpan().SequenceEqual(SubjectPublicKeyInfo(made.Attestation));
            root = statement.Root;
        }
        catch (CryptographicException e)
        {
            problem = e.Message;
        }

        LogCeremony(logger, caller.Name, made.Serial, where.Slot, made.PublicKey.GetSha256Fingerprint(), verified);
        return new Outcome(made, where.Slot, AttestationPems.Of(made.Attestation, made.DeviceCertificate), verified, root, problem);
    }

    private byte[] ReadManagementKey()
    {
        var piv = options;
        if (piv?.ManagementKeyFile is null && piv?.ManagementKeyCredential is null)
        {
            throw new RefusedException(Refusal.CeremonyNotConfigured, "no management key configured: set piv.managementKeyFile or piv.managementKeyCredential");
        }

        byte[] text;
        try
        {
            text = piv.ManagementKeyCredential is not null ? PinSource.ReadCredential(piv.ManagementKeyCredential) : PinSource.ReadFile(piv.ManagementKeyFile!);
        }
        catch (HsmException e)
        {
            throw new RefusedException(Refusal.CeremonyNotConfigured, $"management key: {e.Message}");
        }

        try
        {
            return Convert.FromHexString(System.Text.Encoding.ASCII.GetString(text).Trim());
        }
        catch (FormatException)
        {
            throw new RefusedException(Refusal.CeremonyNotConfigured, "the management key file does not hold hex digits");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    private List<X509Certificate2> AttestationRoots()
    {
        var roots = new List<X509Certificate2>(PivAttestation.YubicoRoots);
        if (options?.AttestationRootsFile is { } file)
        {
            var extra = new X509Certificate2Collection();
            extra.ImportFromPemFile(file);
            roots.AddRange(extra);
        }

        return roots;
    }

    private static byte[] SubjectPublicKeyInfo(byte[] certificate)
    {
        using var parsed = X509CertificateLoader.LoadCertificate(certificate);
        return parsed.PublicKey.ExportSubjectPublicKeyInfo();
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "key ceremony by {Caller}: generated key {Fingerprint} in YubiKey {Serial} slot {Slot:x2} (attestation verified: {Verified})")]
    private static partial void LogCeremony(ILogger logger, string caller, uint serial, byte slot, string fingerprint, bool verified);
}
