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
