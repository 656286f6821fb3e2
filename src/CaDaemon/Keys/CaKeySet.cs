using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Keys;

/// <summary>
/// The CA keys: for each of the user CA and the host CA a set of keys in states (next, active,
/// retired, revoked; exactly one active, which signs), opened and checked before the host starts
/// (or given by a test: any <see cref="ICaKey"/> will do). A reload replaces the whole set at once
/// (<see cref="Replace"/>); a reader always sees one consistent set. Registered in dependency
/// injection; everything that needs a CA key asks this, never the configuration.
/// </summary>
internal sealed class CaKeySet
{
    private Snapshot _current;

    /// <summary>One active key per CA and nothing else.</summary>
    public CaKeySet(ICaKey user, ICaKey host)
        : this([
            new CaKeyEntry("userCa", SshCertificateType.User, CaKeyState.Active, (user ?? throw new ArgumentNullException(nameof(user))).PublicKey, user),
            new CaKeyEntry("hostCa", SshCertificateType.Host, CaKeyState.Active, (host ?? throw new ArgumentNullException(nameof(host))).PublicKey, host),
        ])
    {
    }

    /// <summary>A key set; throws <see cref="ArgumentException"/> when it is not one (see <see cref="Problems"/>).</summary>
    public CaKeySet(IReadOnlyList<CaKeyEntry> entries) => _current = Take(entries);

    private sealed record Snapshot(IReadOnlyList<CaKeyEntry> Entries, ICaKey User, ICaKey Host);

    /// <summary>The active user CA key.</summary>
    public ICaKey User => Volatile.Read(ref _current).User;

    /// <summary>The active host CA key.</summary>
    public ICaKey Host => Volatile.Read(ref _current).Host;

    /// <summary>Every key, user keys first, in configuration order.</summary>
    public IReadOnlyList<CaKeyEntry> Entries => Volatile.Read(ref _current).Entries;

    /// <summary>The opened device keys (next and active).</summary>
    public IReadOnlyList<ICaKey> All => [.. Entries.Where(e => e.Device is not null).Select(e => e.Device!)];

    /// <summary>Whether both active keys can sign now.</summary>
    public bool AllAvailable
    {
        get
        {
            var current = Volatile.Read(ref _current);
            return current.User.IsAvailable && current.Host.IsAvailable;
        }
    }

    /// <summary>The active key that signs certificates of <paramref name="type"/>.</summary>
    public ICaKey For(SshCertificateType type) => type == SshCertificateType.User ? User : Host;

    /// <summary>The keys of <paramref name="type"/>'s CA that are not revoked (next, active, retired).</summary>
    public IReadOnlyList<SshPublicKey> NotRevoked(SshCertificateType type) =>
        [.. Entries.Where(e => e.Ca == type && e.State != CaKeyState.Revoked).Select(e => e.PublicKey)];

    /// <summary>
    /// Puts <paramref name="entries"/> in force at once; returns the device keys the old set held
    /// that the new one does not (for the caller to dispose once in-flight signatures are done).
    /// </summary>
    public IReadOnlyList<ICaKey> Replace(IReadOnlyList<CaKeyEntry> entries)
    {
        var next = Take(entries);
        var old = Interlocked.Exchange(ref _current, next);
        return [.. old.Entries.Where(e => e.Device is not null && !next.Entries.Any(n => ReferenceEquals(n.Device, e.Device))).Select(e => e.Device!)];
    }

    /// <summary>What makes <paramref name="entries"/> not a key set: each CA needs exactly one active key with its device, a key appears once.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<CaKeyEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var problems = new List<string>();
        foreach (var ca in new[] { SshCertificateType.User, SshCertificateType.Host })
        {
            var name = ca == SshCertificateType.User ? "user" : "host";
            var active = entries.Where(e => e.Ca == ca && e.State == CaKeyState.Active).ToList();
            if (active.Count != 1)
            {
                problems.Add($"the {name} CA needs exactly one active key, it has {active.Count}");
            }
            else if (active[0].Device is null)
            {
                problems.Add($"the {name} CA's active key {active[0].Name} is not opened on a device");
            }
        }

        foreach (var twice in entries.GroupBy(e => e.Fingerprint, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"key {twice.Key} is configured {twice.Count()} times ({string.Join(", ", twice.Select(e => e.Name))})");
        }

        return problems;
    }

    private static Snapshot Take(IReadOnlyList<CaKeyEntry> entries)
    {
        var problems = Problems(entries);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(entries));
        }

        var ordered = entries.OrderBy(e => e.Ca == SshCertificateType.User ? 0 : 1).ToList();
        return new Snapshot(ordered,
            ordered.Single(e => e.Ca == SshCertificateType.User && e.State == CaKeyState.Active).Device!,
            ordered.Single(e => e.Ca == SshCertificateType.Host && e.State == CaKeyState.Active).Device!);
    }
}
