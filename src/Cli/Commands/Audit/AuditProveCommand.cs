using System.CommandLine;
using System.Globalization;
using System.Text;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.Cli.Commands.Audit;

/// <summary>
/// <c>audit prove SERIAL</c>: the certificate's leaf in the issuance log and its inclusion proof
/// up to the latest signed checkpoint, checked here (and against the pinned log key when there is
/// one), printed so that a third party can check it: the leaf, its index, the audit path, the note.
/// </summary>
internal static class AuditProveCommand
{
    public static Command Create(GlobalOptions global)
    {
        var serial = new Argument<ulong>("SERIAL") { Description = "the certificate's serial number" };
        var state = new Option<string>("--state") { Description = "the state file of 'audit verify' whose pinned log key checks the checkpoint", HelpName = "FILE", DefaultValueFactory = _ => LogState.DefaultPath };
        var command = new Command("prove", "print a certificate's inclusion proof in the issuance log, checked (operators: the policy's 'audit' right)") { serial, state };
        command.SetAction(async (result, cancel) =>
        {
            var response = await global.Connection(result).CreateClient().GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = result.GetValue(serial) }, cancellationToken: cancel).ConfigureAwait(false);
            var root = response.Checkpoint.Root.ToByteArray();
            var hashes = response.Hashes.Select(h => h.ToByteArray()).ToList();
            var entry = LogEntry.Parse(response.Entry.Span);
            if (entry.Kind != LogEntryKind.Certificate || entry.Serial != result.GetValue(serial)
                || !MerkleTree.VerifyInclusion(MerkleTree.LeafHash(response.Entry.Span), (long)response.Index, (long)response.Checkpoint.Size, hashes, root))
            {
                throw new RefusedUpdateException(4, $"the inclusion proof of certificate {result.GetValue(serial)} does not verify against the checkpoint's root");
            }

            var checkedBy = "NOT checked against a pinned log key (run 'audit verify --log-key …' once)";
            if (LogState.Read(result.GetValue(state)!) is { } known)
            {
                var (name, key) = SignedNote.ParseVerifierKey(known.VerifierKey);
                try
                {
                    var checkpoint = Checkpoint.Parse(SignedNote.Verify(response.Checkpoint.Note, name, key));
                    checkedBy = checkpoint.Root.AsSpan().SequenceEqual(root) && checkpoint.Size == (long)response.Checkpoint.Size
                        ? $"signed by the pinned log key {name}"
                        : throw new System.Security.Cryptography.CryptographicException("the note is for another tree than the proof");
                }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new RefusedUpdateException(4, $"the checkpoint of the proof is not signed by the pinned log key {name}: {e.Message}");
                }
            }

            var text = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"certificate {entry.Serial} is leaf {response.Index} of log {response.Checkpoint.Origin} ({response.Checkpoint.Size} leaves); checkpoint {checkedBy}\n")
                .Append(CultureInfo.InvariantCulture, $"entry: {entry}\n")
                .Append(CultureInfo.InvariantCulture, $"certificate sha256: {Convert.ToHexStringLower(entry.Digest.Span)}\n")
                .Append(CultureInfo.InvariantCulture, $"leaf: {Convert.ToBase64String(response.Entry.Span)}\n")
                .Append(CultureInfo.InvariantCulture, $"index: {response.Index}\n")
                .Append(CultureInfo.InvariantCulture, $"size: {response.Checkpoint.Size}\n")
                .Append(CultureInfo.InvariantCulture, $"root: {Convert.ToBase64String(root)}\n")
                .Append(CultureInfo.InvariantCulture, $"proof: {(hashes.Count == 0 ? "-" : string.Join(",", hashes.Select(Convert.ToBase64String)))}\n")
                .Append("checkpoint:\n").Append(response.Checkpoint.Note);
            await Console.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
