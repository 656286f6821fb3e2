using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Trust;

/// <summary>
/// What an operator needs before switching to a next key: for every CA key, the certificates it
/// signed that are still valid and, for a key published ahead of its use, which of the parties
/// that must trust it (hosts for a user CA key, users for a host CA key: those holding a valid
/// certificate) have fetched a trust set holding it since it was published.
/// </summary>
internal static class RotationStatus
{
    /// <summary>How many missing parties a status names.</summary>
    public const int MaxMissing = 100;

    /// <summary>One key's status.</summary>
    public sealed record KeyStatus(CaKeyEntry Entry, bool Trusted, ulong ValidCertificates, ulong LastValidBefore, ulong PublishedInVersion, ulong PublishedAt, int PartiesKnown, int PartiesFetched, IReadOnlyList<string> PartiesMissing);

    /// <summary>The party a trust fetch is recorded under: the host's first principal, or the user's caller name.</summary>
    public static string HostParty(string principal) => "host:" + principal;

    /// <summary>The party of a user (any caller that is not a host).</summary>
    public static string UserParty(string caller) => "user:" + caller;

    /// <summary>Every key's status.</summary>
    public static IReadOnlyList<KeyStatus> Of(IReadOnlyList<CaKeyEntry> entries, IReadOnlyList<ValidCertificate> valid, IReadOnlyList<TrustSetRecord> versions, IReadOnlyDictionary<string, ulong> fetches)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(valid);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(fetches);
        var listed = TrustPublisher.Listed([.. entries.Select(e => new TrustedCaKey(e.Ca, e.State, e.PublicKey))], valid).Select(k => k.PublicKey).ToHashSet();
        var statuses = new List<KeyStatus>();
        foreach (var entry in entries)
        {
            var signed = valid.Where(v => v.CaKeyFingerprint == entry.Fingerprint).ToList();
            var (version, at) = PublishedIn(entry, versions);

            // Hosts must trust a user CA key (TrustedUserCAKeys); users a host CA key (@cert-authority).
            var parties = entry.Ca == SshCertificateType.User
                ? valid.Where(v => v.Type == SshCertificateType.Host && v.FirstPrincipal.Length > 0).Select(v => HostParty(v.FirstPrincipal))
                : valid.Where(v => v.Type == SshCertificateType.User && !v.Caller.StartsWith("host:", StringComparison.Ordinal)).Select(v => UserParty(v.Caller));
            var known = parties.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var missing = version == 0 ? known : known.Where(p => !fetches.TryGetValue(p, out var fetched) || fetched < version).ToList();
            statuses.Add(new KeyStatus(
                entry,
                listed.Contains(entry.PublicKey) && entry.State != CaKeyState.Revoked,
                (ulong)signed.Count,
                signed.Count == 0 ? 0 : signed.Max(v => v.ValidBefore),
                version,
                at,
                known.Count,
                known.Count - missing.Count,
                [.. missing.Take(MaxMissing)]));
        }

        return statuses;
    }

    /// <summary>The first version of the latest unbroken run of versions that list the key as trusted (0: none).</summary>
    private static (ulong Version, ulong At) PublishedIn(CaKeyEntry entry, IReadOnlyList<TrustSetRecord> versions)
    {
        var line = entry.PublicKey.ToOpenSshLine();
        (ulong, ulong) first = (0, 0);
        foreach (var set in versions.OrderByDescending(v => v.Version))
        {
            var holds = set.Body.Split('\n').Any(l => l.EndsWith(" " + line, StringComparison.Ordinal) && !l.Contains(" revoked ", StringComparison.Ordinal));
            if (!holds)
            {
                break;
            }

            first = (set.Version, set.CreatedAt);
        }

        return first;
    }
}
