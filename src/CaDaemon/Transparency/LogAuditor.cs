using System.Text;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>
/// <c>audit verify --records</c> on the appliance: recomputes each leaf from the record it
/// describes (a certificate's row, a revocation's row and entries), the tree from the recomputed
/// leaves, and compares with the stored leaves, the stored tree and every signed checkpoint
/// (whose signatures by this appliance's log key are checked too). Whoever rewrites a row, a leaf
/// or a subtree without the log key is found, and the first bad index named: a leaf that differs
/// from its record names its own index; a consistent rewrite of records and leaves together
/// shows against the first checkpoint whose root it changes, and names the first index after the
/// last checkpoint that still holds.
/// </summary>
internal sealed class LogAuditor(ILogStore log, ICertificateStore certificates, IRevocationStore revocations, LogSigner? signer)
{
    /// <summary>Problems listed at most (the count of leaves checked goes on).</summary>
    public const int MaxProblems = 50;

    private const int Page = 5_000;

    /// <summary>Checks the whole log.</summary>
    public async Task<LogVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var firstBad = -1L;
        void Note(string problem)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(problem);
            }
        }

        void Bad(long index, string problem)
        {
            firstBad = firstBad < 0 ? index : Math.Min(firstBad, index);
            Note(problem);
        }

        var head = await log.LogHeadAsync(cancellationToken).ConfigureAwait(false);
        var checkpoints = await log.CheckpointsByAsync(null, cancellationToken).ConfigureAwait(false);
        foreach (var bad in checkpoints.Where(c => signer is not null && c.Signer == signer.Name && !SignatureHolds(c, signer)))
        {
            Note($"the checkpoint of size {bad.Size} does not carry a valid signature by the log key {signer!.Name}: the row was written outside the daemon");
        }

        var bySize = checkpoints.GroupBy(c => c.Size).OrderBy(g => g.Key).ToList();
        var next = 0;
        var lastGood = 0L;
        var range = CompactRange.Empty();
        var recomputedEqualsStored = true;
        for (long start = 0; start < head.Size; start += Page)
        {
            var page = await log.LogEntriesAsync(start, Page, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0 || page[0].Index != start)
            {
                Bad(start, $"leaf {start} is missing from the stored log (the head says {head.Size} leaves)");
                break;
            }

            foreach (var stored in page)
            {
                if (stored.Index != range.Size)
                {
                    Bad(range.Size, $"leaf {range.Size} is missing from the stored log");
                    break;
                }

                var recomputed = await RecomputeAsync(stored, cancellationToken).ConfigureAwait(false);
                if (recomputed.Problem is { } problem)
                {
                    Bad(stored.Index, $"leaf {stored.Index}: {problem}");
                    recomputedEqualsStored = false;
                }

                range.Append(MerkleTree.LeafHash(recomputed.Entry));
                while (next < bySize.Count && bySize[next].Key == range.Size)
                {
                    var root = range.Root();
                    foreach (var checkpoint in bySize[next])
                    {
                        if (!checkpoint.Root.AsSpan().SequenceEqual(root))
                        {
                            // A leaf already found bad explains it; otherwise records and leaves were rewritten together after lastGood.
                            (recomputedEqualsStored ? (Action<long, string>)Bad : (_, p) => Note(p))(lastGood, $"the records of leaves {lastGood} to {range.Size - 1} do not make the root of the checkpoint {checkpoint.Signer} signed at size {range.Size}: the log before it was rewritten");
                        }
                        else
                        {
                            lastGood = range.Size;
                        }
                    }

                    next++;
                }
            }
        }

        for (; next < bySize.Count; next++)
        {
            Bad(range.Size, $"a checkpoint was signed at size {bySize[next].Key}, and the log now has {range.Size} leaves: it was truncated or rolled back");
        }

        if (recomputedEqualsStored && !range.Root().AsSpan().SequenceEqual(head.Root))
        {
            Bad(lastGood, $"the leaves do not make the head's root (size {head.Size}): the stored tree was changed");
        }

        var unlogged = await log.UnloggedCertificatesAsync(MaxProblems, cancellationToken).ConfigureAwait(false);
        foreach (var serial in unlogged)
        {
            Bad(head.Size, $"certificate {serial} is recorded as issued but has no leaf: the row was written outside the daemon");
        }

        return new LogVerification(range.Size, checkpoints.Count, firstBad, problems);
    }

    private static bool SignatureHolds(StoredCheckpoint checkpoint, LogSigner signer)
    {
        var text = new Checkpoint(signer.Origin, checkpoint.Size, checkpoint.Root).ToText();
        try
        {
            SignedNote.Verify(SignedNote.Compose(text, [checkpoint.SignatureLine]), signer.Name, signer.PublicKey);
            return true;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or Ssh.SshFormatException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The leaf the record says should stand at this index (the stored one when the kind has no other record), and what differs.</summary>
    private async Task<(byte[] Entry, string? Problem)> RecomputeAsync(LogEntryRef stored, CancellationToken cancellationToken)
    {
        LogEntry entry;
        try
        {
            entry = LogEntry.Parse(stored.Entry);
        }
        catch (Ssh.SshFormatException e)
        {
            return (stored.Entry, $"the stored leaf is not a log entry ({e.Message})");
        }

        LogEntry? expected;
        switch (stored.Kind)
        {
            case "certificate":
                var record = await certificates.GetAsync((ulong)stored.Reference, cancellationToken).ConfigureAwait(false);
                if (record is not { Outcome: AuditOutcome.Issued, Certificate: not null })
                {
                    return (Describe(entry, "missing"), $"certificate {stored.Reference} has no issued record (deleted or changed)");
                }

                expected = LogEntries.Certificate(record, entry.Appliance);
                break;
            case "revocation":
                var found = await revocations.ListRevocationsAsync((ulong)stored.Reference + 1, 1, cancellationToken).ConfigureAwait(false);
                if (found.Count == 0 || found[0].Id != (ulong)stored.Reference)
                {
                    return (Describe(entry, "missing"), $"revocation {stored.Reference} has no record (deleted)");
                }

                expected = LogEntries.Revocation(found[0], entry.Appliance);
                break;
            default:
                // CA key states and reloads have no other record: the tree alone vouches for them.
                return (stored.Entry, null);
        }

        var bytes = expected.Encode();
        return bytes.AsSpan().SequenceEqual(stored.Entry)
            ? (bytes, null)
            : (bytes, $"{(stored.Kind == "certificate" ? "certificate" : "revocation")} {stored.Reference}'s record does not match its leaf (the leaf says {entry}, the record {expected})");
    }

    /// <summary>A stand-in leaf for a record that is gone: it differs from every real one, so the recomputed tree differs too.</summary>
    private static byte[] Describe(LogEntry entry, string what) => Encoding.UTF8.GetBytes($"{what}: {entry}");
}
