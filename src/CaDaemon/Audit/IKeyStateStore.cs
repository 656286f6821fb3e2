namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The CA keys seen, every appliance's key states, the trust-set versions and who fetched them.</summary>
internal interface IKeyStateStore
{
    /// <summary>Remembers CA keys the daemon opened (the first sighting of each stays).</summary>
    Task RememberCaKeysAsync(IReadOnlyList<CaKeyRecord> keys, CancellationToken cancellationToken);

    /// <summary>A CA key remembered by its SHA256 fingerprint, or null.</summary>
    Task<CaKeyRecord?> FindCaKeyAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a trust set: a new version when <paramref name="body"/> differs from the latest
    /// one's (and a new KRL version with it), otherwise the latest. Durable before it returns.
    /// </summary>
    Task<TrustSetRecord> PublishTrustSetAsync(string body, ulong now, CancellationToken cancellationToken);

    /// <summary>Every trust-set version, oldest first.</summary>
    Task<IReadOnlyList<TrustSetRecord>> ListTrustSetsAsync(CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="party"/> (<c>host:name</c>, <c>user:name</c>) fetched a trust-set version (the highest stays).</summary>
    Task RecordTrustFetchAsync(string party, ulong version, ulong now, CancellationToken cancellationToken);

    /// <summary>The highest trust-set version each party fetched.</summary>
    Task<IReadOnlyDictionary<string, ulong>> TrustFetchesAsync(CancellationToken cancellationToken);

    /// <summary>Replaces <paramref name="appliance"/>'s CA key states with <paramref name="states"/> (its key set now).</summary>
    Task PublishKeyStatesAsync(string appliance, IReadOnlyList<CaKeyStateRecord> states, ulong now, CancellationToken cancellationToken);

    /// <summary>Every appliance's CA key states published at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<CaKeyStateRecord>> KeyStatesAsync(ulong since, CancellationToken cancellationToken);

    /// <summary>The latest trust set, or null before the first (cheap: read at every fetch, so appliances on one store agree).</summary>
    Task<TrustSetRecord?> LatestTrustSetAsync(CancellationToken cancellationToken);
}
