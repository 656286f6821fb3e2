using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using SshHsmCa.Hsm;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>The YubiKey PIV key ceremony and the published attestations.</summary>
public sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<GeneratePivKeyResponse> GeneratePivKey(GeneratePivKeyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = await authenticator.AuthorizeAsync(context, OperatorRight.Ceremony).ConfigureAwait(false);
        PivCaKeyOptions where;
        try
        {
            where = PivCaKeyOptions.Parse(request.Uri);
        }
        catch (HsmException e)
        {
            throw RequestParser.Invalid("uri", e.Message);
        }

        var algorithm = (request.Algorithm.Length == 0 ? "p256" : request.Algorithm) switch
        {
            "p256" => PivAlgorithm.EccP256,
            "p384" => PivAlgorithm.EccP384,
            "ed25519" => PivAlgorithm.Ed25519,
            "rsa2048" => PivAlgorithm.Rsa2048,
            "rsa3072" => PivAlgorithm.Rsa3072,
            "rsa4096" => PivAlgorithm.Rsa4096,
            _ => throw RequestParser.Invalid("algorithm", $"'{Shorten(request.Algorithm)}' is not p256, p384, ed25519, rsa2048, rsa3072 or rsa4096"),
        };
        var pin = (request.PinPolicy.Length == 0 ? "once" : request.PinPolicy) switch
        {
            "never" => PivPinPolicy.Never,
            "once" => PivPinPolicy.Once,
            "always" => PivPinPolicy.Always,
            _ => throw RequestParser.Invalid("pin_policy", $"'{Shorten(request.PinPolicy)}' is not never, once or always"),
        };
        var touch = (request.TouchPolicy.Length == 0 ? "cached" : request.TouchPolicy) switch
        {
            "never" => PivTouchPolicy.Never,
            "always" => PivTouchPolicy.Always,
            "cached" => PivTouchPolicy.Cached,
            _ => throw RequestParser.Invalid("touch_policy", $"'{Shorten(request.TouchPolicy)}' is not never, always or cached"),
        };

        foreach (var (name, key) in new[] { ("user", options.UserCa), ("host", options.HostCa) })
        {
            if (CaKeys.PivSlot(key?.Uri) is { } used)
            {
                if (used.Slot == where.Slot && (used.Serial is null || where.Serial is null || used.Serial == where.Serial))
                {
                    throw RpcErrors.Create(StatusCode.FailedPrecondition, ErrorReasons.SlotInUse, $"slot {where.Slot:x2} holds this daemon's {name} CA key; generating would replace it (stop using it first)");
                }
            }
        }

        var managementKey = ReadManagementKey();
        PivKeyCeremony.Result made;
        try
        {
            made = await Task.Run(() => PivKeyCeremony.Generate(where, algorithm, pin, touch, managementKey), context.CancellationToken).ConfigureAwait(false);
        }
        catch (HsmException e)
        {
            var code = e.Kind switch
            {
                HsmErrorKind.TokenNotFound or HsmErrorKind.DeviceUnavailable => StatusCode.Unavailable,
                HsmErrorKind.UnsupportedKey => StatusCode.InvalidArgument,
                _ => StatusCode.FailedPrecondition,
            };
            throw RpcErrors.Create(code, ErrorReasons.CeremonyFailed, $"key ceremony: {e.Message}", metadata: new Dictionary<string, string>(StringComparer.Ordinal) { ["kind"] = e.Kind.ToString() });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(managementKey);
        }

        var response = new GeneratePivKeyResponse
        {
            PublicKey = made.PublicKey.ToOpenSshLine($"ssh-hsm-ca piv {made.Serial} {where.Slot:x2}"),
            Fingerprint = made.PublicKey.GetSha256Fingerprint(),
            Serial = made.Serial,
            AttestationPem = Pem(made.Attestation, made.DeviceCertificate),
        };
        try
        {
            var statement = PivAttestation.Verify(made.Attestation, made.DeviceCertificate ?? throw new CryptographicException("the device has no F9 attestation certificate"), AttestationRoots());
            response.AttestationVerified = statement.SubjectPublicKeyInfo.AsSpan().SequenceEqual(SubjectPublicKeyInfo(made.Attestation));
            response.AttestationRoot = statement.Root;
        }
        catch (CryptographicException e)
        {
            response.AttestationProblem = e.Message;
        }

        LogCeremony(logger, caller.Name, made.Serial, where.Slot, made.PublicKey.GetSha256Fingerprint(), response.AttestationVerified);
        return response;
    }

    private byte[] ReadManagementKey()
    {
        var piv = options.Piv;
        if (piv?.ManagementKeyFile is null && piv?.ManagementKeyCredential is null)
        {
            throw RpcErrors.Create(StatusCode.FailedPrecondition, ErrorReasons.CeremonyFailed, "no management key configured: set piv.managementKeyFile or piv.managementKeyCredential");
        }

        byte[] text;
        try
        {
            text = piv.ManagementKeyCredential is not null ? PinSource.ReadCredential(piv.ManagementKeyCredential) : PinSource.ReadFile(piv.ManagementKeyFile!);
        }
        catch (HsmException e)
        {
            throw RpcErrors.Create(StatusCode.FailedPrecondition, ErrorReasons.CeremonyFailed, $"management key: {e.Message}");
        }

        try
        {
            return Convert.FromHexString(System.Text.Encoding.ASCII.GetString(text).Trim());
        }
        catch (FormatException)
        {
            throw RpcErrors.Create(StatusCode.FailedPrecondition, ErrorReasons.CeremonyFailed, "the management key file does not hold hex digits");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    private List<X509Certificate2> AttestationRoots()
    {
        var roots = new List<X509Certificate2>(PivAttestation.YubicoRoots);
        if (options.Piv?.AttestationRootsFile is { } file)
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

    private static string Pem(byte[]? attestation, byte[]? device) =>
        string.Concat(new[] { attestation, device }.Where(c => c is not null).Select(c => new string(PemEncoding.Write("CERTIFICATE", c)) + "\n"));

    private static string AttestationPem(ICaKey key) => key is IAttestedCaKey { Attestation: { } attestation } attested ? Pem(attestation, attested.AttestationIntermediate) : string.Empty;

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 5101, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "key ceremony by {Caller}: generated key {Fingerprint} in YubiKey {Serial} slot {Slot:x2} (attestation verified: {Verified})")]
    private static partial void LogCeremony(Microsoft.Extensions.Logging.ILogger logger, string caller, uint serial, byte slot, string fingerprint, bool verified);
}
