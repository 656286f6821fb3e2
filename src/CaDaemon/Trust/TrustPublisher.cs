using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Trust;

/// <summary>
/// The trust set every host and client installs (<see cref="TrustSet"/>): the CA keys in force,
/// published as a new version whenever a key's state changes (a reload) or a retired key's last
/// certificate expires (the hourly pass), and signed once per version by the active user CA key
/// on the hardware, with SSHSIG in <see cref="TrustSet.Namespace"/>. A key in the revoked state
/// is revoked in the KRL (recorded like an operator's revocation) before the first set that
/// marks it revoked is published.
/// </summary>
internal sealed partial class TrustPublisher(IAuditStore audit, CaKeySet keys, Revocation.Revocations revocations, TimeProvider time, CaMetrics metrics, ILogger<TrustPublisher> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TrustSetRecord? _latest;
    private SignedTrustSet? _signed;

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
                if (await audit.FindRevocationAsync(0, revoked.Ca, string.Empty, revoked.Fingerprint, cancellationToken).ConfigureAwait(false) is null)
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

            var valid = await audit.ValidCertificatesAsync(now, cancellationToken).ConfigureAwait(false);
            var body = TrustSet.BodyOf(Listed(entries, valid));
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
    public static IReadOnlyList<TrustedCaKey> Listed(IReadOnlyList<CaKeyEntry> entries, IReadOnlyList<ValidCertificate> valid)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(valid);
        var signing = valid.Select(v => v.CaKeyFingerprint).ToHashSet(StringComparer.Ordinal);
        return [.. entries
            .Where(e => e.State != CaKeyState.Retired || signing.Contains(e.Fingerprint))
            .Select(e => new TrustedCaKey(e.Ca, e.State, e.PublicKey))];
    }

    /// <summary>The latest trust set, unsigned (what GetCaPublicKeys shows).</summary>
    public async Task<TrustSet> LatestAsync(CancellationToken cancellationToken)
    {
        var latest = Volatile.Read(ref _latest) ?? await RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        return TrustSet.Parse(System.Text.Encoding.ASCII.GetBytes(TrustSet.With(latest.Version, latest.Body)));
    }

    /// <summary>The latest trust set, signed (once per version, on the hardware).</summary>
    /// <exception cref="Hsm.HsmException">The user CA key could not sign a new version.</exception>
    public async Task<SignedTrustSet> CurrentAsync(CancellationToken cancellationToken)
    {
        var latest = Volatile.Read(ref _latest) ?? await RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _signed) is { } cached && cached.Version == latest.Version)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            latest = _latest!;
            if (_signed is { } other && other.Version == latest.Version)
            {
                return other;
            }

            var bytes = System.Text.Encoding.ASCII.GetBytes(TrustSet.With(latest.Version, latest.Body));
            var signer = keys.User;
            var signature = await signer.SignAsync(SshSig.SignedData(TrustSet.Namespace, "sha512", bytes), cancellationToken).ConfigureAwait(false);
            var armored = SshSig.Create(signer.PublicKey, TrustSet.Namespace, "sha512", signature, bytes).ToArmored();
            metrics.TrustSetSignatures.Inc();
            var made = new SignedTrustSet(latest.Version, bytes, armored, signer.PublicKey.ToOpenSshLine());
            Volatile.Write(ref _signed, made);
            return made;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Every key's rotation status (<see cref="RotationStatus"/>), with the trust-set version it was computed at.</summary>
    public async Task<(ulong TrustSetVersion, IReadOnlyList<RotationStatus.KeyStatus> Keys)> StatusAsync(CancellationToken cancellationToken)
    {
        var latest = await RefreshAsync(null, cancellationToken).ConfigureAwait(false);
        var statuses = RotationStatus.Of(
            keys.Entries,
            await audit.ValidCertificatesAsync(Now(), cancellationToken).ConfigureAwait(false),
            await audit.ListTrustSetsAsync(cancellationToken).ConfigureAwait(false),
            await audit.TrustFetchesAsync(cancellationToken).ConfigureAwait(false));
        return (latest.Version, statuses);
    }

    /// <summary>Records that <paramref name="party"/> fetched <paramref name="version"/> (for <c>ca status</c>).</summary>
    public Task RecordFetchAsync(string party, ulong version, CancellationToken cancellationToken) =>
        audit.RecordTrustFetchAsync(party, version, Now(), cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "trust set version {Version} published: {Keys}")]
    private static partial void LogPublished(ILogger logger, ulong version, string keys);
}
