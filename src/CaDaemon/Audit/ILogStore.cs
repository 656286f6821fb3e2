using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The issuance log (docs/audit-log.md): an RFC 6962 Merkle tree whose leaves are appended in the
/// same transaction as the records they describe (certificates, revocations) or on their own (CA
/// key states, reloads); its stored subtree hashes, from which every proof is read; and the
/// checkpoints the appliances signed.
/// </summary>
internal interface ILogStore
{
    /// <summary>Appends a leaf on its own (a CA key state, a reload), durably.</summary>
    Task AppendLogAsync(LogEntry entry, CancellationToken cancellationToken);

    /// <summary>The committed size and root.</summary>
    Task<LogHead> LogHeadAsync(CancellationToken cancellationToken);

    /// <summary>The tree hash of the first <paramref name="size"/> leaves (from the stored subtrees).</summary>
    Task<byte[]> LogTreeHashAsync(long size, CancellationToken cancellationToken);

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/>.</summary>
    Task<IReadOnlyList<byte[]>> LogInclusionProofAsync(long index, long size, CancellationToken cancellationToken);

    /// <summary>The consistency proof between the trees of <paramref name="first"/> and <paramref name="second"/> leaves.</summary>
    Task<IReadOnlyList<byte[]>> LogConsistencyProofAsync(long first, long second, CancellationToken cancellationToken);

    /// <summary>The leaf written with a record (<paramref name="kind"/> "certificate" and a serial, "revocation" and an id), or null.</summary>
    Task<LogEntryRef?> FindLogEntryAsync(string kind, long reference, CancellationToken cancellationToken);

    /// <summary>Leaves from <paramref name="start"/>, at most <paramref name="count"/>, in order.</summary>
    Task<IReadOnlyList<LogEntryRef>> LogEntriesAsync(long start, int count, CancellationToken cancellationToken);

    /// <summary>Stored hashes of one level from <paramref name="start"/>, at most <paramref name="count"/> (for tiles).</summary>
    Task<IReadOnlyList<byte[]>> LogHashesAsync(int level, long start, int count, CancellationToken cancellationToken);

    /// <summary>Keeps a signed checkpoint (one row per size and signer).</summary>
    Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>The signed checkpoints of the largest signed size (one per signer), or none.</summary>
    Task<IReadOnlyList<StoredCheckpoint>> LatestCheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>Every checkpoint <paramref name="signer"/> (null: any signer) signed, smallest first.</summary>
    Task<IReadOnlyList<StoredCheckpoint>> CheckpointsByAsync(string? signer, CancellationToken cancellationToken);

    /// <summary>Serials of issued certificates that have no leaf (rows written outside the daemon), smallest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ulong>> UnloggedCertificatesAsync(int limit, CancellationToken cancellationToken);
}
