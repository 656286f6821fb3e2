namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The record of every issuing attempt: serials reserved without a write of their own, the outcome written once, durably, before the reply; and the certificates read back.</summary>
internal interface ICertificateStore
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

    /// <summary>Issued certificates matching the query, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> FindIssuedAsync(CertificateQuery query, int limit, CancellationToken cancellationToken);

    /// <summary>Issued certificates that are still valid at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<ValidCertificate>> ValidCertificatesAsync(ulong now, CancellationToken cancellationToken);
}
