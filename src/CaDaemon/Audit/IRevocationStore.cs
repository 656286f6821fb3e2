namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Revocations and the KRL version they make: recorded durably, read back as the KRL's content, pruned as certificates expire.</summary>
internal interface IRevocationStore
{
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
}
