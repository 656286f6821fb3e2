namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The certificate listing operators read: a page of records, each issued one with the revocation that covers it.</summary>
internal static class CertificatePages
{
    public static async Task<Page<(AuditRecord Record, RevocationRecord? Revocation)>> ListAsync(
        ICertificateStore certificates, IRevocationStore revocations, string? principal, string? caller, ulong? beforeSerial, int size, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(revocations);
        var page = await Page<AuditRecord>.FetchAsync(size, limit => certificates.ListAsync(principal, caller, beforeSerial, limit, cancellationToken)).ConfigureAwait(false);
        var issued = page.Items.Where(r => r.Outcome == AuditOutcome.Issued).ToList();
        // One query for the page's revocation state, not one per row.
        var revoked = await revocations.FindRevocationsAsync(issued, cancellationToken).ConfigureAwait(false);
        return new Page<(AuditRecord, RevocationRecord?)>(
            [.. page.Items.Select(r => (r, r.Outcome == AuditOutcome.Issued ? revoked.GetValueOrDefault(r.Serial) : null))], page.HasMore);
    }
}
