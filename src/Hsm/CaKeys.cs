using Microsoft.Extensions.Logging;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.Hsm;

/// <summary>
/// The one place that knows which backend a CA key URI names: <c>pkcs11:</c> (RFC 7512) or
/// <c>piv:</c> (a YubiKey PIV slot). Everything else sees <see cref="ICaKey"/> and its capability
/// interfaces (<see cref="IAttestedCaKey"/>, <see cref="ISessionPoolCaKey"/>).
/// </summary>
public static class CaKeys
{
    /// <summary>True when <paramref name="uri"/> names a YubiKey PIV slot.</summary>
    public static bool IsPiv(string? uri) => uri?.StartsWith("piv:", StringComparison.Ordinal) == true;

    /// <summary>The PIV slot a URI names, or null for another backend.</summary>
    /// <exception cref="HsmException">Kind Configuration: a malformed piv: URI.</exception>
    public static PivCaKeyOptions? PivSlot(string? uri) => IsPiv(uri) ? PivCaKeyOptions.Parse(uri!) : null;

    /// <summary>
    /// What is wrong with a CA key's configuration, as each backend sees it: the URI's scheme and
    /// shape, and settings given for the other backend or out of range. Each problem names its
    /// field relative to the key's section (<c>uri</c>, <c>pkcs11.poolSize</c>, <c>piv</c>, …).
    /// </summary>
    /// <param name="uri">The key's URI.</param>
    /// <param name="pkcs11">Whether a <c>pkcs11</c> section is given, and its pool size.</param>
    /// <param name="piv">Whether a <c>piv</c> section is given, and its touch timeout in seconds.</param>
    public static IReadOnlyList<(string Field, string Problem)> Check(string? uri, (bool Given, int? PoolSize) pkcs11, (bool Given, int TouchTimeoutSeconds) piv)
    {
        var problems = new List<(string, string)>();
        if (IsPiv(uri))
        {
            try
            {
                _ = PivSlot(uri);
            }
            catch (HsmException e)
            {
                problems.Add(("uri", e.Message));
            }

            if (pkcs11.Given)
            {
                problems.Add(("pkcs11", "the key is on a YubiKey (piv: URI); its settings go in a 'piv' section"));
            }

            if (piv.Given && piv.TouchTimeoutSeconds is < 1 or > 300)
            {
                problems.Add(("piv.touchTimeoutSeconds", $"{piv.TouchTimeoutSeconds} is outside 1..300"));
            }
        }
        else if (string.IsNullOrEmpty(uri) || !uri.StartsWith("pkcs11:", StringComparison.Ordinal))
        {
            problems.Add(("uri", "a pkcs11: or piv: URI is required"));
        }
        else
        {
            if (uri.Contains("pin-value", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(("uri", "a PIN in the URI is refused; use pinFile or pinCredential"));
            }

            if (piv.Given)
            {
                problems.Add(("piv", "the key is on a PKCS#11 token (pkcs11: URI); its settings go in a 'pkcs11' section"));
            }

            if (pkcs11.PoolSize is < 1 or > 256)
            {
                problems.Add(("pkcs11.poolSize", $"{pkcs11.PoolSize} is outside 1..256"));
            }
        }

        return problems;
    }

    /// <summary>
    /// Opens the key <paramref name="spec"/> names, checks it against its expected public key, and
    /// returns it ready to sign. A signature that waits for a touch says so through
    /// <see cref="TouchPrompts"/>, to the observer of the caller's flow.
    /// </summary>
    public static ICaKey Open(CaKeySpec spec, ReadOnlySpan<byte> pin, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(loggers);
        if (PivSlot(spec.Uri) is { } slot)
        {
            return PivCaKey.Open(slot with
            {
                ExpectedPublicKey = spec.ExpectedPublicKey,
                RequireGeneratedOnDevice = spec.RequireGeneratedOnDevice,
                SignTimeout = spec.TouchTimeout,
            }, pin, loggers.CreateLogger<PivCaKey>());
        }

        return Pkcs11CaKey.Open(new Pkcs11CaKeyOptions { Uri = spec.Uri, ExpectedPublicKey = spec.ExpectedPublicKey, PoolSize = spec.PoolSize }, pin, loggers.CreateLogger<Pkcs11CaKey>());
    }
}
