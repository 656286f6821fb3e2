using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>
/// The issuance log as served (docs/audit-log.md): signs checkpoints of the tree the store keeps
/// — never one that is not consistent with this signer's previous checkpoint — and answers for the
/// latest signed checkpoint, inclusion proofs by serial and consistency proofs between sizes.
/// </summary>
internal sealed partial class IssuanceLog(ILogStore store, LogSigner? signer, TimeProvider time, ILogger<IssuanceLog> logger) : IDisposable
{
    private readonly SemaphoreSlim _signing = new(1, 1);
    private StoredCheckpoint? _last;
    private string? _lastRefusal;
    private bool _lastRead;

    /// <summary>Whether a log key is configured.</summary>
    public bool CanSign => signer is not null;

    /// <summary>The signer (null without a log key).</summary>
    public LogSigner? Signer => signer;

    /// <summary>
    /// Signs a checkpoint of the committed tree when it grew since this signer's last one; returns
    /// the newest checkpoint of this signer (null before the first, or without a log key).
    /// </summary>
    /// <exception cref="InvalidOperationException">The tree is not an extension of the last signed one (a fork, a rollback): nothing is signed.</exception>
    /// <exception cref="Hsm.HsmException">The log key could not sign.</exception>
    public async Task<StoredCheckpoint?> CheckpointAsync(CancellationToken cancellationToken)
    {
        if (signer is null)
        {
            return null;
        }

        await _signing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_lastRead)
            {
                var mine = await store.CheckpointsByAsync(signer.Name, cancellationToken).ConfigureAwait(false);
                _last = mine.Count > 0 ? mine[^1] : null;
                _lastRead = true;
            }

            var head = await store.LogHeadAsync(cancellationToken).ConfigureAwait(false);
            if (_last is { } last && head.Size <= last.Size)
            {
                return head.Size == last.Size && head.Root.AsSpan().SequenceEqual(last.Root) ? last : throw Refuse(last, head);
            }

            if (head.Size == 0)
            {
                return null;
            }

            // What is signed must be the tree the stored subtrees make, and extend what was signed.
            var root = await store.LogTreeHashAsync(head.Size, cancellationToken).ConfigureAwait(false);
            if (!root.AsSpan().SequenceEqual(head.Root))
            {
                throw Refuse(_last, head);
            }

            if (_last is { } previous)
            {
                var proof = await store.LogConsistencyProofAsync(previous.Size, head.Size, cancellationToken).ConfigureAwait(false);
                if (!MerkleTree.VerifyConsistency(previous.Size, head.Size, proof, previous.Root, head.Root))
                {
                    throw Refuse(previous, head);
                }
            }

            var text = new Checkpoint(signer.Origin, head.Size, head.Root).ToText();
            var (line, sshsig) = await signer.SignAsync(text, cancellationToken).ConfigureAwait(false);
            var signed = new StoredCheckpoint(head.Size, signer.Name, head.Root, line, sshsig, (ulong)time.GetUtcNow().ToUnixTimeSeconds());
            await store.SaveCheckpointAsync(signed, cancellationToken).ConfigureAwait(false);
            var rootText = Convert.ToBase64String(head.Root);
            LogSigned(logger, head.Size, rootText);
            _last = signed;
            return signed;
        }
        finally
        {
            _signing.Release();
        }
    }

    private InvalidOperationException Refuse(StoredCheckpoint? last, LogHead head)
    {
        var message = last is null
            ? $"the issuance log's head (size {head.Size}) is not the tree its stored subtrees make: no checkpoint is signed; run 'ssh-hsm-ca audit verify --records'"
            : $"the issuance log (size {head.Size}) does not extend the checkpoint signed at size {last.Size}: the database was changed or rolled back; no checkpoint is signed; run 'ssh-hsm-ca audit verify --records'";
        // Said once per distinct refusal: the service asks again every period.
        if (!string.Equals(Interlocked.Exchange(ref _lastRefusal, message), message, StringComparison.Ordinal))
        {
            LogRefused(logger, message);
        }

        return new InvalidOperationException(message);
    }

    /// <summary>The latest signed checkpoint with the line of every signer that signed the same tree.</summary>
    /// <exception cref="RefusedException">No log key, or nothing signed yet (LogNotReady).</exception>
    public async Task<SignedCheckpoint> LatestAsync(CancellationToken cancellationToken)
    {
        if (signer is null)
        {
            throw new RefusedException(Refusal.LogNotReady, "the issuance log is not signed on this appliance: configure log.key (docs/audit-log.md)");
        }

        var rows = await store.LatestCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            throw new RefusedException(Refusal.LogNotReady, "no checkpoint is signed yet (the first comes once a certificate is issued)");
        }

        // Signers that disagree on the root of one size are a fork: only lines over the same text make one note.
        var root = rows.FirstOrDefault(r => r.Signer == signer.Name)?.Root ?? rows[0].Root;
        var agreeing = rows.Where(r => r.Root.AsSpan().SequenceEqual(root)).ToList();
        var text = new Checkpoint(signer.Origin, agreeing[0].Size, root).ToText();
        return new SignedCheckpoint(agreeing[0].Size, root, text, SignedNote.Compose(text, agreeing.Select(r => r.SignatureLine)),
            agreeing.ToDictionary(r => r.Signer, r => r.SshSig, StringComparer.Ordinal), agreeing.Max(r => r.CreatedAt));
    }

    /// <summary>The inclusion proof of certificate <paramref name="serial"/> in the latest signed checkpoint.</summary>
    /// <exception cref="RefusedException">No leaf for it, or not yet signed (NotInLog); no checkpoint (LogNotReady).</exception>
    public async Task<LogProof> ProveCertificateAsync(ulong serial, CancellationToken cancellationToken)
    {
        var entry = await store.FindLogEntryAsync("certificate", (long)serial, cancellationToken).ConfigureAwait(false)
            ?? throw new RefusedException(Refusal.NotInLog, $"certificate {serial} has no leaf in the issuance log (not issued here, or issued before the log existed)");
        var checkpoint = await LatestAsync(cancellationToken).ConfigureAwait(false);
        if (entry.Index >= checkpoint.Size)
        {
            throw new RefusedException(Refusal.NotInLog, $"certificate {serial} is leaf {entry.Index}, after the latest signed checkpoint (size {checkpoint.Size}); ask again in a few seconds");
        }

        var hashes = await store.LogInclusionProofAsync(entry.Index, checkpoint.Size, cancellationToken).ConfigureAwait(false);
        return new LogProof(entry.Index, entry.Entry, hashes, checkpoint);
    }

    /// <summary>The consistency proof from <paramref name="first"/> to <paramref name="second"/> leaves (0: the latest signed size).</summary>
    /// <exception cref="InvalidRequestException">The sizes are not 0 &lt; first ≤ second ≤ the latest signed size.</exception>
    public async Task<(long Second, IReadOnlyList<byte[]> Hashes)> ConsistencyAsync(long first, long second, CancellationToken cancellationToken)
    {
        var latest = await LatestAsync(cancellationToken).ConfigureAwait(false);
        second = second == 0 ? latest.Size : second;
        if (second > latest.Size)
        {
            throw new InvalidRequestException("second", $"{second} is larger than the latest signed checkpoint ({latest.Size})");
        }

        if (first < 1 || first > second)
        {
            throw new InvalidRequestException("first", $"{first} is not between 1 and {second}");
        }

        return (second, await store.LogConsistencyProofAsync(first, second, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public void Dispose() => _signing.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "issuance log checkpoint signed: size {Size}, root {Root}")]
    private static partial void LogSigned(ILogger logger, long size, string root);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Message}")]
    private static partial void LogRefused(ILogger logger, string message);
}
