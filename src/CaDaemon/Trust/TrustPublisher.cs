using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Trust;

/// <summary>
/// The trust set every host and client installs (<see cref="TrustSet"/>): the CA keys in force,
/// published as a new version whenever a key's state changes (a reload) or a retired key's last
/// certificate expires (the hourly pass), and signed once per version by the active user CA key
/// on the hardware, with SSHSIG in <see cref="TrustSet.Namespace"/>. A key in the revoked state
/// is revoked in the KRL (recorded like an operator's revocation) before the first set that
/// marks it revoked is published. With several appliances on one store (each named), each
/// publishes its key set and the trust set is their union (<see cref="Merge"/>).
/// </summary>
internal sealed partial class TrustPublisher(IKeyStateStore audit, ICertificateStore certificates, IRevocationStore revocationStore, CaKeySet keys, Revocation.Revocations revocations, TimeProvider time, CaMetrics metrics, ILogger<TrustPublisher> logger, string appliance = "local") : IDisposable
{
    /// <summary>An appliance that has not published its key set for this long is left out of the trust set (decommissioned).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(3);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private TrustSetRecord? _latest;
    private readonly OncePerVersion<SignedTrustSet> _signed = new(s => s.Version);
    private TrustSet? _parsed;

    /// <summary>
    /// Publishes the trust set of the keys in force now (a new version only when it differs from
    /// the latest) after revoking in the KRL every key in the revoked state not yet revoked there.
    /// </summary>
    /// <param name="by">Who changed the keys (the operator of ReloadConfiguration), recorded with the revocations; null: the configuration (SIGHUP, start).</param>
    /// <param name="cancellationToken">Cancels the wait, not a write under way.</param>
    public async Task<TrustSetRecord> RefreshAsync(CallerIdentity? by, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = Now();
            var entries = keys.Entries;
            foreach (var revoked in entries.Where(e => e.State == CaKeyState.Revoked))
            {
                if (await revocationStore.FindRevocationAsync(0, revoked.Ca, string.Empty, revoked.Fingerprint, cancellationToken).ConfigureAwait(false) is null)
                {
                    var caller = by ?? new CallerIdentity { Method = AuthMethod.UnixSocket, Name = "configuration" };
                    await revocations.RevokeAsync(caller, "reload", new Revocation.RevokeSelector
                    {
                        CaPublicKey = revoked.PublicKey.ToOpenSshLine(),
                        Scope = revoked.Ca == SshCertificateType.User ? Revocation.RevokeScope.User : Revocation.RevokeScope.Host,
                        Reason = $"CA key {revoked.Name} is in the revoked state in the configuration{(string.IsNullOrWhiteSpace(revoked.RevocationReason) ? string.Empty : ": " + revoked.RevocationReason)}",
                    }, CancellationToken.None).ConfigureAwait(false);
                }
            }

            // This appliance's key set joins the others' (several appliances on one store, each
            // with its own keys): a key is revoked if any appliance revoked it, else active if one
            // signs with it, else next if one publishes it ahead, else retired.
            await audit.PublishKeyStatesAsync(appliance, [.. entries.Select(e => new CaKeyStateRecord(appliance, e.Fingerprint, e.Ca, e.State, e.PublicKey.ToOpenSshLine()))], now, CancellationToken.None).ConfigureAwait(false);
            var states = await audit.KeyStatesAsync(now - (ulong)StaleAfter.TotalSeconds, cancellationToken).ConfigureAwait(false);
            var valid = await certificates.ValidCertificatesAsync(now, cancellationToken).ConfigureAwait(false);
            var body = TrustSet.BodyOf(Listed(Merge(states), valid));
            var published = await audit.PublishTrustSetAsync(body, now, CancellationToken.None).ConfigureAwait(false);
            if (_latest?.Version != published.Version && logger.IsEnabled(LogLevel.Information))
            {
                var described = string.Join(", ", entries.Select(e => $"{e.Name} {TrustSet.StateName(e.State)}"));
                LogPublished(logger, published.Version, described);
            }

            Volatile.Write(ref _latest, published);
            return published;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The keys a trust set lists: next, active, retired while a certificate it signed is valid, revoked.</summary>
    public static IReadOnlyList<TrustedCaKey> Listed(IReadOnlyList<TrustedCaKey> keys, IReadOnlyList<ValidCertificate> valid)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(valid);
        var signing = valid.Select(v => v.CaKeyFingerprint).ToHashSet(StringComparer.Ordinal);
        return [.. keys.Where(k => k.State != CaKeyState.Retired || signing.Contains(k.PublicKey.GetSha256Fingerprint()))];
    }

    /// <summary>
    /// Every appliance's key states as one set, in an order every appliance computes alike (user CA
    /// first; active, next, retired, revoked; then by fingerprint) so that they publish the same set.
    /// </summary>
    public static IReadOnlyList<TrustedCaKey> Merge(IReadOnlyList<CaKeyStateRecord> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        return [.. states
            .GroupBy(s => s.Fingerprint, StringComparer.Ordinal)
            .Select(g => (Fingerprint: g.Key, g.First().Ca, State: Strongest(g.Select(s => s.State)), Key: g.First().PublicKey))
            .OrderBy(k => k.Ca == SshCertificateType.User ? 0 : 1)
            .ThenBy(k => Rank(k.State))
            .ThenBy(k => k.Fingerprint, StringComparer.Ordinal)
            .Select(k => new TrustedCaKey(k.Ca, k.State, Ssh.Keys.SshPublicKey.ParseLine(k.Key)))];
    }

    private static CaKeyState Strongest(IEnumerable<CaKeyState> states)
    {
        var all = states.ToList();
        return all.Contains(CaKeyState.Revoked) ? CaKeyState.Revoked
            : all.Contains(CaKeyState.Active) ? CaKeyState.Active
            : all.Contains(CaKeyState.Next) ? CaKeyState.Next
            : CaKeyState.Retired;
    }

    private static int Rank(CaKeyState state) => state switch
    {
        CaKeyState.Active => 0,
        CaKeyState.Next => 1,
        CaKeyState.Retired => 2,
        _ => 3,
    };

    /// <summary>The latest trust set, unsigned (what GetCaPublicKeys shows).</summary>
    public async Task<TrustSet> LatestAsync(CancellationToken cancellationToken)
    {
        var latest = await LatestRecordAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _parsed) is { } parsed && parsed.Version == latest.Version)
        {
            return parsed;
        }

        parsed = latest.Parse();
        Volatile.Write(ref _parsed, parsed);
        return parsed;
    }

    /// <summary>Whether <paramref name="key"/> is a CA key of <paramref name="type"/> in force on this appliance or, by the latest trust set, on another.</summary>
    public async Task<bool> InForceAsync(SshCertificateType type, Ssh.Keys.SshPublicKey key, CancellationToken cancellationToken) =>
        keys.NotRevoked(type).Contains(key) || (await LatestAsync(cancellationToken).ConfigureAwait(false)).Trusted(type).Contains(key);

    /// <summary>
    /// The latest trust set from the store (another appliance on it may have published a newer
    /// one), the one this appliance published when it has not started yet.
    /// </summary>
    private async Task<TrustSetRecord> LatestRecordAsync(CancellationToken cancellationToken)
    {
        var latest = await audit.LatestTrustSetAsync(cancellationToken).ConfigureAwait(false) ?? await RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _latest) is not { } known || known.Version < latest.Version)
        {
            Volatile.Write(ref _latest, latest);
        }

        return Volatile.Read(ref _latest)!;
    }

    /// <summary>The latest trust set, signed (once per version, on the hardware).</summary>
    /// <exception cref="Hsm.HsmException">The user CA key could not sign a new version.</exception>
    public async Task<SignedTrustSet> CurrentAsync(CancellationToken cancellationToken)
    {
        var latest = await LatestRecordAsync(cancellationToken).ConfigureAwait(false);
        return await _signed.GetAsync(latest.Version, async cancel =>
        {
            var bytes = latest.Document();
            var signer = keys.User;
            var armored = await DetachedSignature.SignAsync(signer, TrustSet.Namespace, bytes, cancel).ConfigureAwait(false);
            metrics.TrustSetSignatures.Inc();
            return new SignedTrustSet(latest.Version, bytes, armored, signer.PublicKey.ToOpenSshLine());
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every key's rotation status (<see cref="RotationStatus"/>), with the trust-set version it was computed at.</summary>
    public async Task<(ulong TrustSetVersion, IReadOnlyList<RotationStatus.KeyStatus> Keys)> StatusAsync(CancellationToken cancellationToken)
    {
        var latest = await RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        var statuses = RotationStatus.Of(
            keys.Entries,
            await certificates.ValidCertificatesAsync(Now(), cancellationToken).ConfigureAwait(false),
            await audit.ListTrustSetsAsync(cancellationToken).ConfigureAwait(false),
            await audit.TrustFetchesAsync(cancellationToken).ConfigureAwait(false));
        return (latest.Version, statuses);
    }

    /// <summary>The signed trust set for <paramref name="party"/> (a host or user the CA knows, counted as having it; null: an anonymous fetch).</summary>
    public async Task<SignedTrustSet> FetchAsync(string? party, CancellationToken cancellationToken)
    {
        var signed = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (party is not null)
        {
            await RecordFetchAsync(party, signed.Version, cancellationToken).ConfigureAwait(false);
        }

        return signed;
    }

    /// <summary>Records that <paramref name="party"/> fetched <paramref name="version"/> (for <c>ca status</c>).</summary>
    public Task RecordFetchAsync(string party, ulong version, CancellationToken cancellationToken) =>
        audit.RecordTrustFetchAsync(party, version, Now(), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Dispose();
        _signed.Dispose();
    }

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "trust set version {Version} published: {Keys}")]
    private static partial void LogPublished(ILogger logger, ulong version, string keys);
}
