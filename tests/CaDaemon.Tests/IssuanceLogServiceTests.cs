using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SshHsmCa.CaDaemon.Tests.Support;
using SshHsmCa.CaDaemon.Transparency;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Transparency;
using static SshHsmCa.CaDaemon.Tests.Support.InProcessDaemon;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// Issue 31 through the real services in process: checkpoints signed by the log key (note line and
/// SSHSIG), inclusion and consistency proofs that verify, who may ask for what, and tampering with
/// the database found by VerifyLog with the first bad index named, or refused by the signer.
/// </summary>
public sealed class IssuanceLogServiceTests : IAsyncLifetime
{
    private InProcessDaemon _ca = null!;

    public async Task InitializeAsync() => _ca = await StartAsync();

    public async Task DisposeAsync() => await _ca.DisposeAsync();

    private IssuanceLog Log => _ca.Services.GetRequiredService<IssuanceLog>();

    private static string Reason(RpcException e) => e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason;

    private async Task<SshCertificate> UserAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return SshCertificate.ParseLine((await _ca.Client.SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = EcdsaPublicKey.FromParameters(key.ExportParameters(false)).ToOpenSshLine() }, As(Alice))).Certificate.Certificate);
    }

    private void Sql(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_ca.Options.AuditDatabase};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long IndexOf(ulong serial)
    {
        using var connection = new SqliteConnection($"Data Source={_ca.Options.AuditDatabase};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT idx FROM log_entries WHERE kind = 'certificate' AND ref = {serial};";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task CheckpointsAreSignedByTheLogKeyAsANoteAndAnSshsigAndNeedNoCredential()
    {
        // The start's own leaves (policy, CA key states) are signed as soon as the daemon runs.
        var atStart = (await Log.CheckpointAsync(CancellationToken.None))!;
        var certificate = await UserAsync();
        var signed = await Log.CheckpointAsync(CancellationToken.None);
        Assert.NotNull(signed);
        var response = await _ca.Client.GetLogCheckpointAsync(new GetLogCheckpointRequest());
        Assert.Equal("in-process.test/log", response.Origin);
        var text = SignedNote.Verify(response.Note, "in-process.test", (Ed25519PublicKey)SshPublicKey.ParseLine(response.LogPublicKey));
        var checkpoint = Checkpoint.Parse(text);
        Assert.Equal(("in-process.test/log", (long)response.Size), (checkpoint.Origin, checkpoint.Size));
        Assert.Equal(response.Root.ToByteArray(), checkpoint.Root);
        Assert.StartsWith("in-process.test+", response.VerifierKey, StringComparison.Ordinal);
        var sshsig = SshSig.ParseArmored(response.Sshsig["in-process.test"]);
        Assert.True(sshsig.Verifies(SshPublicKey.ParseLine(response.LogPublicKey), LogSignature.Namespace, Encoding.UTF8.GetBytes(text)));

        // The leaves so far: the start's policy, the CA keys' states, the certificate.
        var entries = await _ca.Services.GetRequiredService<SshHsmCa.CaDaemon.Audit.ILogStore>().LogEntriesAsync(0, 100, CancellationToken.None);
        Assert.Equal((long)response.Size, entries.Count);
        Assert.Equal(LogEntryKind.Reload, LogEntry.Parse(entries[0].Entry).Kind);
        Assert.Equal(2, entries.Count(e => LogEntry.Parse(e.Entry).Kind == LogEntryKind.CaKeyState));
        var leaf = LogEntry.Parse(entries[^1].Entry);
        Assert.Equal((LogEntryKind.Certificate, certificate.Serial, "user"), (leaf.Kind, leaf.Serial, leaf.Detail));

        Assert.True(response.Size > (ulong)atStart.Size);

        // Nothing new: the same checkpoint, no second signature.
        Assert.Same(signed, await Log.CheckpointAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WithoutALogKeyNothingIsSignedAndTheAnswerSaysWhatToConfigure()
    {
        using var unsigned = new IssuanceLog(_ca.Services.GetRequiredService<SshHsmCa.CaDaemon.Audit.ILogStore>(), null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<IssuanceLog>.Instance);
        Assert.Null(await unsigned.CheckpointAsync(CancellationToken.None));
        var refused = await Assert.ThrowsAsync<SshHsmCa.CaDaemon.Failures.RefusedException>(() => unsigned.LatestAsync(CancellationToken.None));
        Assert.Equal(SshHsmCa.CaDaemon.Failures.Refusal.LogNotReady, refused.Refusal);
        Assert.Contains("log.key", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InclusionProofsAreForAuditorsAndVerifyAgainstTheSignedRoot()
    {
        var first = await UserAsync();
        var second = await UserAsync();
        await Log.CheckpointAsync(CancellationToken.None);
        var late = await UserAsync();

        var proof = await _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = first.Serial }, As(Auditor));
        var root = proof.Checkpoint.Root.ToByteArray();
        Assert.True(MerkleTree.VerifyInclusion(MerkleTree.LeafHash(proof.Entry.Span), (long)proof.Index, (long)proof.Checkpoint.Size, [.. proof.Hashes.Select(h => h.ToByteArray())], root));
        var entry = LogEntry.Parse(proof.Entry.Span);
        Assert.Equal(first.Serial, entry.Serial);
        Assert.Equal(SHA256.HashData(first.Blob.Span), entry.Digest.ToArray());
        Assert.Equal(second.Serial, LogEntry.Parse((await _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = second.Serial }, As(Operator))).Entry.Span).Serial);

        foreach (var (call, status, reason) in new (Func<AsyncUnaryCall<GetLogInclusionProofResponse>>, StatusCode, string)[]
        {
            (() => _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = first.Serial }), StatusCode.Unauthenticated, "NO_CREDENTIAL"),
            (() => _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = first.Serial }, As(Alice)), StatusCode.PermissionDenied, "OPERATOR_RIGHT_MISSING"),
            (() => _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest(), As(Auditor)), StatusCode.InvalidArgument, "INVALID_REQUEST"),
            (() => _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = 987_654 }, As(Auditor)), StatusCode.NotFound, "NOT_IN_LOG"),
            (() => _ca.Client.GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = late.Serial }, As(Auditor)), StatusCode.NotFound, "NOT_IN_LOG"),
        })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => call().ResponseAsync);
            Assert.Equal((status, reason), (e.StatusCode, Reason(e)));
        }
    }

    [Fact]
    public async Task ConsistencyProofsLinkEveryEarlierCheckpointToTheLatestAndBadSizesAreNamed()
    {
        await UserAsync();
        var earlier = (await Log.CheckpointAsync(CancellationToken.None))!;
        for (var i = 0; i < 5; i++)
        {
            await UserAsync();
        }

        var later = (await Log.CheckpointAsync(CancellationToken.None))!;
        var proof = await _ca.Client.GetLogConsistencyProofAsync(new GetLogConsistencyProofRequest { First = (ulong)earlier.Size });
        Assert.Equal((ulong)later.Size, proof.Second);
        Assert.True(MerkleTree.VerifyConsistency(earlier.Size, later.Size, [.. proof.Hashes.Select(h => h.ToByteArray())], earlier.Root, later.Root));

        foreach (var (request, field) in new (GetLogConsistencyProofRequest, string)[]
        {
            (new() { First = 0 }, "first"),
            (new() { First = 3, Second = 2 }, "second"),
            (new() { First = 1, Second = (ulong)later.Size + 1 }, "second"),
            (new() { First = ulong.MaxValue }, "first"),
        })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => _ca.Client.GetLogConsistencyProofAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        }
    }

    private async Task<VerifyLogResponse> VerifyAsync() => await _ca.Client.VerifyLogAsync(new VerifyLogRequest(), As(Auditor));

    private async Task<List<SshCertificate>> IssueAndSignAsync(int count)
    {
        var issued = new List<SshCertificate>();
        for (var i = 0; i < count; i++)
        {
            issued.Add(await UserAsync());
        }

        await Log.CheckpointAsync(CancellationToken.None);
        return issued;
    }

    [Fact]
    public async Task VerifyLogFindsARowChangedInTheDatabaseAndNamesItsIndex()
    {
        var issued = await IssueAndSignAsync(6);
        var clean = await VerifyAsync();
        Assert.True(clean.Ok, string.Join("; ", clean.Problems));
        Assert.Equal(-1, clean.FirstBadIndex);

        Sql($"UPDATE certificates SET key_id = 'someone else' WHERE serial = {issued[3].Serial};");
        var found = await VerifyAsync();
        Assert.False(found.Ok);
        Assert.Equal(IndexOf(issued[3].Serial), found.FirstBadIndex);
        Assert.Contains(found.Problems, p => p.Contains($"certificate {issued[3].Serial}'s record does not match its leaf", StringComparison.Ordinal));

        var e = await Assert.ThrowsAsync<RpcException>(() => _ca.Client.VerifyLogAsync(new VerifyLogRequest(), As(Alice)).ResponseAsync);
        Assert.Equal("OPERATOR_RIGHT_MISSING", Reason(e));
    }

    [Fact]
    public async Task VerifyLogFindsADeletedRowAndTwoSwappedRows()
    {
        var issued = await IssueAndSignAsync(6);
        Sql($"DELETE FROM certificate_principals WHERE serial = {issued[4].Serial}; DELETE FROM certificates WHERE serial = {issued[4].Serial};");
        var deleted = await VerifyAsync();
        Assert.Equal(IndexOf(issued[4].Serial), deleted.FirstBadIndex);
        Assert.Contains(deleted.Problems, p => p.Contains($"certificate {issued[4].Serial} has no issued record", StringComparison.Ordinal));

        // Two rows' certificates swapped: the first of them is the first bad index.
        Sql($"""
            UPDATE certificates SET certificate = (SELECT certificate FROM certificates WHERE serial = {issued[2].Serial}) WHERE serial = {issued[1].Serial};
            UPDATE certificates SET certificate = '{issued[1].ToOpenSshLine()}' WHERE serial = {issued[2].Serial};
            """);
        var swapped = await VerifyAsync();
        Assert.Equal(IndexOf(issued[1].Serial), swapped.FirstBadIndex);
    }

    [Fact]
    public async Task ATruncatedAndRefilledLogIsFoundAgainstTheSignedCheckpointAndNeverSigned()
    {
        var issued = await IssueAndSignAsync(5);
        var signed = (await Log.CheckpointAsync(CancellationToken.None))!;

        // Whoever can write SQL rewrites records, leaves, subtrees and head as one consistent but different tree.
        var keep = IndexOf(issued[2].Serial);
        Sql($"DELETE FROM certificate_principals WHERE serial >= {issued[2].Serial}; DELETE FROM certificates WHERE serial >= {issued[2].Serial}; DELETE FROM log_entries WHERE idx >= {keep}; DELETE FROM log_nodes;");
        var store = _ca.Services.GetRequiredService<SshHsmCa.CaDaemon.Audit.ILogStore>();
        var kept = await store.LogEntriesAsync(0, 1000, CancellationToken.None);
        var range = CompactRange.Empty();
        using (var connection = new SqliteConnection($"Data Source={_ca.Options.AuditDatabase};Pooling=False"))
        {
            connection.Open();
            foreach (var leaf in kept)
            {
                foreach (var (level, index, hash) in range.Append(MerkleTree.LeafHash(leaf.Entry)).Where(n => n.Level > 0 && n.Level % 8 == 0))
                {
                    using var insert = connection.CreateCommand();
                    insert.CommandText = "INSERT INTO log_nodes (level, idx, hash) VALUES ($l, $i, $h);";
                    insert.Parameters.AddWithValue("$l", level);
                    insert.Parameters.AddWithValue("$i", index);
                    insert.Parameters.AddWithValue("$h", hash);
                    insert.ExecuteNonQuery();
                }
            }

            using var head = connection.CreateCommand();
            head.CommandText = "UPDATE log_head SET size = $s, root = $r;";
            head.Parameters.AddWithValue("$s", range.Size);
            head.Parameters.AddWithValue("$r", range.Root());
            head.ExecuteNonQuery();
        }

        // Refilled: new certificates go on from the rewritten head.
        await UserAsync();
        await UserAsync();
        await UserAsync();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Log.CheckpointAsync(CancellationToken.None));
        Assert.Contains($"does not extend the checkpoint signed at size {signed.Size}", refused.Message, StringComparison.Ordinal);
        Assert.Equal((ulong)signed.Size, (await _ca.Client.GetLogCheckpointAsync(new GetLogCheckpointRequest())).Size);

        var found = await VerifyAsync();
        Assert.False(found.Ok);
        Assert.True(found.FirstBadIndex >= 0 && found.FirstBadIndex <= keep, $"first bad index {found.FirstBadIndex}, the rewrite began at {keep}");
        Assert.Contains(found.Problems, p => p.Contains($"signed at size {signed.Size}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARollbackBelowTheSignedSizeIsRefusedByTheSignerAndNamedByVerifyLog()
    {
        await IssueAndSignAsync(4);
        var signed = (await Log.CheckpointAsync(CancellationToken.None))!;
        var store = _ca.Services.GetRequiredService<SshHsmCa.CaDaemon.Audit.ILogStore>();
        var size = signed.Size - 2;
        var root = await store.LogTreeHashAsync(size, CancellationToken.None);
        using (var connection = new SqliteConnection($"Data Source={_ca.Options.AuditDatabase};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM log_entries WHERE idx >= $s; UPDATE log_head SET size = $s, root = $r;";
            command.Parameters.AddWithValue("$s", size);
            command.Parameters.AddWithValue("$r", root);
            command.ExecuteNonQuery();
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Log.CheckpointAsync(CancellationToken.None));
        Assert.Contains("rolled back", refused.Message, StringComparison.Ordinal);
        var found = await VerifyAsync();
        Assert.Equal(size, found.FirstBadIndex);
        Assert.Contains(found.Problems, p => p.Contains("truncated or rolled back", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACertificateRowInsertedOutsideTheDaemonHasNoLeafAndIsNamed()
    {
        var issued = await IssueAndSignAsync(2);
        Sql($"""
            INSERT INTO certificates (serial, type, key_id, principals, valid_after, valid_before, critical_options, extensions,
                subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, outcome, certificate)
            SELECT 777777, type, 'planted', principals, valid_after, valid_before, critical_options, extensions,
                subject_key_fingerprint, ca_key_fingerprint, caller, auth_method, source_address, request_id, created_at, 'issued', certificate
            FROM certificates WHERE serial = {issued[0].Serial};
            """);
        var found = await VerifyAsync();
        Assert.False(found.Ok);
        Assert.Contains(found.Problems, p => p.Contains("certificate 777777 is recorded as issued but has no leaf", StringComparison.Ordinal));
    }
}
