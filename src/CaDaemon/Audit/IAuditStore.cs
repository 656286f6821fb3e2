namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The durable record of every issuing attempt. Shaped for one writer per appliance today (SQLite)
/// and a shared PostgreSQL store later: the serial comes from the store (without a durable write
/// of its own), and the record with its outcome is written once, durably, before the reply.
/// </summary>
internal interface IAuditStore
{
    /// <summary>Reserves a unique non-zero serial for the intent (outcome <c>pending</c>, held until its outcome is committed).</summary>
    Task<ulong> ReserveAsync(AuditRecord intent, CancellationToken cancellationToken);

    /// <summary>Records the attempt as issued with its certificate, durably (the attempt's one write).</summary>
    Task CommitIssuedAsync(ulong serial, string certificate, CancellationToken cancellationToken);

    /// <summary>Records the attempt as failed, durably (the attempt's one write).</summary>
    Task CommitFailedAsync(ulong serial, string failure, CancellationToken cancellationToken);

    /// <summary>One record, or null.</summary>
    Task<AuditRecord?> GetAsync(ulong serial, CancellationToken cancellationToken);

    /// <summary>Records newest first, optionally for one principal or caller, before a serial (paging).</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(string? principal, string? caller, ulong? beforeSerial, int limit, CancellationToken cancellationToken);

    /// <summary>Stores a new bootstrap token (its hash only) and records who made it.</summary>
    Task CreateBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a bootstrap token without using it (the secret matches, it is unused and unexpired).
    /// Nothing is written: the token is used only by an issuance (<see cref="RedeemBootstrapTokenAsync"/>).
    /// </summary>
    Task<BootstrapRedemption> CheckBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, CancellationToken cancellationToken);

    /// <summary>
    /// Uses a bootstrap token once: atomically marks it used when the secret matches, it is unused
    /// and unexpired, and records the use as an authentication event. A refusal writes nothing.
    /// </summary>
    Task<BootstrapRedemption> RedeemBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, string sourceAddress, CancellationToken cancellationToken);

    /// <summary>Makes a used token usable again, recorded: its issuance failed on the device, so it certified nothing.</summary>
    Task ReleaseBootstrapTokenAsync(string id, ulong now, string sourceAddress, string why, CancellationToken cancellationToken);

    /// <summary>Records an authentication event (renewal proofs, refused tokens).</summary>
    Task RecordAuthEventAsync(AuthEvent authEvent, CancellationToken cancellationToken);

    /// <summary>Authentication events, newest first.</summary>
    Task<IReadOnlyList<AuthEvent>> ListAuthEventsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records a revocation and its KRL entries, and increases the KRL version, in one durable
    /// write; returns it with its id and the KRL version that first includes it.
    /// </summary>
    Task<RevocationRecord> RecordRevocationAsync(RevocationRecord revocation, CancellationToken cancellationToken);

    /// <summary>Revocations newest first, before an id (paging).</summary>
    Task<IReadOnlyList<RevocationRecord>> ListRevocationsAsync(ulong? beforeId, int limit, CancellationToken cancellationToken);

    /// <summary>The KRL version and every revoked entry, read together.</summary>
    Task<KrlContent> ReadKrlContentAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts a new KRL version (returned) when revoked certificates expired, with the margin,
    /// since the last change, so that the next KRL leaves them out; null when nothing changed.
    /// </summary>
    Task<ulong?> PruneKrlAsync(ulong now, CancellationToken cancellationToken);

    /// <summary>The KRL version alone (cheap: polled before a rebuild).</summary>
    Task<ulong> KrlVersionAsync(CancellationToken cancellationToken);

    /// <summary>The first revocation that covers a certificate (its serial for its CA, its key, its CA key), or null.</summary>
    Task<RevocationRecord?> FindRevocationAsync(ulong serial, Ssh.Certificates.SshCertificateType type, string subjectFingerprint, string caFingerprint, CancellationToken cancellationToken);

    /// <summary>For a page of issued certificates, the first revocation that covers each, by serial (absent: not revoked): one query for the page.</summary>
    Task<IReadOnlyDictionary<ulong, RevocationRecord>> FindRevocationsAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    /// <summary>Issued certificates matching the query, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> FindIssuedAsync(CertificateQuery query, int limit, CancellationToken cancellationToken);

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

    /// <summary>Issued certificates that are still valid at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<ValidCertificate>> ValidCertificatesAsync(ulong now, CancellationToken cancellationToken);

    /// <summary>Whether the store answers now (health: a PostgreSQL store without a reachable primary does not).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>Replaces <paramref name="appliance"/>'s CA key states with <paramref name="states"/> (its key set now).</summary>
    Task PublishKeyStatesAsync(string appliance, IReadOnlyList<CaKeyStateRecord> states, ulong now, CancellationToken cancellationToken);

    /// <summary>Every appliance's CA key states published at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<CaKeyStateRecord>> KeyStatesAsync(ulong since, CancellationToken cancellationToken);

    /// <summary>The latest trust set, or null before the first (cheap: read at every fetch, so appliances on one store agree).</summary>
    Task<TrustSetRecord?> LatestTrustSetAsync(CancellationToken cancellationToken);
}
