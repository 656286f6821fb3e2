using System.CommandLine;
using System.Globalization;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.Cli.Commands.Audit;

/// <summary>
/// <c>audit verify</c>: checks the issuance log's latest checkpoint against the pinned log key,
/// refuses a tree smaller than (or different from) the last one verified, proves the new one
/// extends it, remembers it; with <c>--records</c> the appliance also recomputes the tree from its
/// records; with <c>--max-age</c> a checkpoint older than that fails (a monitor's timer).
/// </summary>
internal static class AuditVerifyCommand
{
    public static Command Create(GlobalOptions global)
    {
        var key = new Option<string?>("--log-key") { Description = "the log's verifier key (NAME+ID+KEY, from the appliance's operator) to pin; needed the first time, then kept in the state file", HelpName = "VERIFIER" };
        var state = new Option<string>("--state") { Description = "where the pinned key and the last verified checkpoint are kept", HelpName = "FILE", DefaultValueFactory = _ => LogState.DefaultPath };
        var records = new Option<bool>("--records") { Description = "also have the appliance recompute every leaf and the tree from its records (operators: the policy's 'audit' right)" };
        var maxAge = new Option<uint?>("--max-age") { Description = "fail when the latest checkpoint was signed longer ago than this (a monitor: the log stopped being signed)", HelpName = "SECONDS" };
        var announced = new Option<bool>("--pin-announced") { Description = "the first time only: pin the log key the appliance announces (trust on first use; compare it with the key the daemon logged at start)" };
        var command = new Command("verify", "verify the issuance log: the checkpoint's signature by the pinned log key, no rollback or fork since the last run, and (--records) the records themselves") { key, state, records, maxAge, announced };
        command.SetAction(async (result, cancel) =>
        {
            var statePath = result.GetValue(state)!;
            var known = LogState.Read(statePath);
            if (known is not null && result.GetValue(key) is { } given && given.Trim() != known.VerifierKey)
            {
                throw new UsageException($"--log-key differs from the key pinned in {statePath}; a log key changes only with a new log: move the state file away if that is what happened");
            }

            if (known is not null && result.GetValue(announced))
            {
                throw new UsageException($"--pin-announced: a log key is already pinned in {statePath}");
            }

            var client = global.Connection(result).CreateClient();
            var response = await client.GetLogCheckpointAsync(new GetLogCheckpointRequest(), cancellationToken: cancel).ConfigureAwait(false);
            var pinned = result.GetValue(key) ?? known?.VerifierKey ?? (result.GetValue(announced) ? response.VerifierKey : null)
                ?? throw new UsageException($"no log key pinned yet: give --log-key NAME+ID+KEY (the daemon logs it at start: 'issuance log key'), or --pin-announced to trust what the appliance says now; it is then kept in {statePath}");
            if (known is null && result.GetValue(announced))
            {
                await Console.Error.WriteLineAsync($"pinned the log key the appliance announced: {pinned} (compare it with the one its daemon logged at start)").ConfigureAwait(false);
            }

            var (name, logKey) = SignedNote.ParseVerifierKey(pinned);
            Checkpoint checkpoint;
            try
            {
                checkpoint = Checkpoint.Parse(SignedNote.Verify(response.Note, name, logKey));
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new RefusedUpdateException(4, $"the log's checkpoint is not signed by the pinned log key {name}: {e.Message}");
            }

            if (known is not null && checkpoint.Origin != known.Origin)
            {
                throw new RefusedUpdateException(4, $"the checkpoint is for log '{checkpoint.Origin}', the pinned one is '{known.Origin}'");
            }

            var described = string.Create(CultureInfo.InvariantCulture, $"log {checkpoint.Origin}: checkpoint of {checkpoint.Size} leaves, root {Convert.ToBase64String(checkpoint.Root)}, signed by {name}");
            if (known is not null)
            {
                var knownRoot = Convert.FromBase64String(known.Root);
                if (checkpoint.Size < known.Size)
                {
                    throw new RefusedUpdateException(5, $"ROLLBACK: the log now has {checkpoint.Size} leaves, and had {known.Size} when verified at {TimeText.Utc((ulong)known.VerifiedAt)}: its database was restored from an old copy or truncated");
                }

                if (checkpoint.Size == known.Size && !checkpoint.Root.AsSpan().SequenceEqual(knownRoot))
                {
                    throw new RefusedUpdateException(4, $"FORK: the log's checkpoint of {checkpoint.Size} leaves has another root than the one verified at {TimeText.Utc((ulong)known.VerifiedAt)}: two histories were signed");
                }

                if (checkpoint.Size > known.Size)
                {
                    var proof = await client.GetLogConsistencyProofAsync(new GetLogConsistencyProofRequest { First = (ulong)known.Size, Second = (ulong)checkpoint.Size }, cancellationToken: cancel).ConfigureAwait(false);
                    if (!MerkleTree.VerifyConsistency(known.Size, checkpoint.Size, [.. proof.Hashes.Select(h => h.ToByteArray())], knownRoot, checkpoint.Root))
                    {
                        throw new RefusedUpdateException(4, $"FORK: the log of {checkpoint.Size} leaves does not extend the one of {known.Size} verified at {TimeText.Utc((ulong)known.VerifiedAt)}: its history was rewritten");
                    }

                    described += string.Create(CultureInfo.InvariantCulture, $"; extends the {known.Size} leaves verified at {TimeText.Utc((ulong)known.VerifiedAt)}");
                }
                else
                {
                    described += "; unchanged since the last run";
                }
            }

            new LogState
            {
                VerifierKey = pinned.Trim(),
                Origin = checkpoint.Origin,
                Size = checkpoint.Size,
                Root = Convert.ToBase64String(checkpoint.Root),
                Note = response.Note,
                VerifiedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            }.Write(statePath);
            await Console.Out.WriteLineAsync(described).ConfigureAwait(false);

            var exit = 0;
            if (result.GetValue(maxAge) is { } seconds && DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)response.SignedAt > seconds)
            {
                await Console.Error.WriteLineAsync($"STALE: the latest checkpoint was signed at {TimeText.Utc(response.SignedAt)}, more than {seconds} s ago: the appliance stopped signing its log (log key unavailable? see its journal)").ConfigureAwait(false);
                exit = 6;
            }

            if (result.GetValue(records))
            {
                var found = await client.VerifyLogAsync(new VerifyLogRequest(), cancellationToken: cancel).ConfigureAwait(false);
                foreach (var problem in found.Problems)
                {
                    await Console.Out.WriteLineAsync("BAD: " + problem).ConfigureAwait(false);
                }

                await Console.Out.WriteLineAsync(found.Ok
                    ? string.Create(CultureInfo.InvariantCulture, $"records: {found.Leaves} leaves recomputed from the records, {found.Checkpoints} signed checkpoints hold")
                    : string.Create(CultureInfo.InvariantCulture, $"records: {found.Leaves} leaves recomputed, {found.Problems.Count} problems, first bad index {found.FirstBadIndex}")).ConfigureAwait(false);
                exit = found.Ok ? exit : 4;
            }

            return exit;
        });
        return command;
    }
}
