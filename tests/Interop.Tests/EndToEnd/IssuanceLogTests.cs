using System.Globalization;
using System.Text;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.CaDaemon.Transparency;
using SshHsmCa.Hsm.Pkcs11;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Transparency;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 31 end to end: the daemon on SoftHSM2 with an Ed25519 log key in the token signs
/// checkpoints of its issuance log; Go's sumdb (note, tlog) verifies the note, the inclusion proof
/// of every certificate, a consistency proof and the tiles the publish listener serves over HTTPS;
/// ssh-keygen -Y verify accepts the checkpoint's SSHSIG; the CLI's audit verify pins the key,
/// follows the log as it grows and refuses a rollback and a fork; audit prove prints a proof.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
[Collection(SoftHsmGroup.Name)]
public sealed class IssuanceLogTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-issuance-log-");

    public void Dispose() => _dir.Dispose();

    private static ProcessRunner.Result Cli(params string[] arguments) =>
        ProcessRunner.Run("/usr/bin/dotnet", [Repository.Binary("Cli", "ssh-hsm-ca.dll"), .. arguments], timeoutMs: 60_000);

    private static void Ok(ProcessRunner.Result result, string what) => Assert.True(result.ExitCode == 0, $"{what}: exit {result.ExitCode}\n{result.Output}");

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    private async Task<ulong> IssueAsync(DaemonUnderTest daemon, string name)
    {
        var key = _dir.PathOf(name);
        Ok(ProcessRunner.Run(OpenSsh.SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]), "ssh-keygen");
        var response = await daemon.SocketClient().SignUserCertificateAsync(new SignUserCertificateRequest { PublicKey = File.ReadAllText(key + ".pub").Trim(), RequestId = name });
        return response.Certificate.Serial;
    }

    /// <summary>The latest checkpoint once it holds at least <paramref name="size"/> leaves (the daemon signs each second while the tree grows).</summary>
    private static async Task<GetLogCheckpointResponse> CheckpointAsync(DaemonUnderTest daemon, ulong size)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                var response = await daemon.SocketClient().GetLogCheckpointAsync(new GetLogCheckpointRequest());
                if (response.Size >= size)
                {
                    return response;
                }
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.FailedPrecondition)
            {
                // Not signed yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no checkpoint of {size} leaves within 20 s");
    }

    /// <summary>The daemon on <paramref name="token"/> with its log key, its audit database at <paramref name="database"/>.</summary>
    private static Task<DaemonUnderTest> StartAsync(string token, Ed25519PublicKey logKey, string? database = null, int publishPort = 0) =>
        DaemonUnderTest.StartAsync(SoftHsm.UserPin, pin => (
            new CaKeyOptions { Uri = SoftHsm.Uri(token, "user-ca"), PinFile = pin },
            new CaKeyOptions { Uri = SoftHsm.Uri(token, "host-ca"), PinFile = pin }), token, configure: o =>
            {
                if (publishPort != 0)
                {
                    o.Publish = new PublishOptions { Address = "127.0.0.1", Port = publishPort };
                }

                o.AuditDatabase = database ?? o.AuditDatabase;
                o.Log = new LogOptions { Origin = "ca.example.test/log", Key = new CaKeyOptions { Uri = SoftHsm.Uri(token, "log-key"), PinFile = o.UserCa!.PinFile, ExpectedPublicKey = logKey.ToOpenSshLine() }, CheckpointSeconds = 1, PublishEntries = true };
            });

    private (string Token, Ed25519PublicKey LogKey) Token(string prefix)
    {
        var token = hsm.CreateToken(prefix);
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "user-ca", 1);
        SoftHsm.Generate(token, CaKeyType.EcdsaP256, "host-ca", 2);
        return (token, (Ed25519PublicKey)SoftHsm.Generate(token, CaKeyType.Ed25519, "log-key", 3));
    }

    /// <summary>
    /// The database restored from an old backup (the daemon stopped, the file copied back, the
    /// daemon started again): the appliance signs the old, shorter history as if nothing happened,
    /// and a verifier that saw the longer one refuses it (exit 5).
    /// </summary>
    [Fact]
    public async Task ADatabaseRestoredFromAnOldBackupIsARollbackToAVerifierThatSawMore()
    {
        var (token, logKey) = Token("restore");
        var database = _dir.PathOf("audit.db");
        var backup = _dir.PathOf("backup.db");
        var state = _dir.PathOf("log.json");
        var verifierKey = SignedNote.VerifierKey("ca.example.test/log", logKey.PublicKey.Span);
        await using (var daemon = await StartAsync(token, logKey, database))
        {
            await IssueAsync(daemon, "early");
            await CheckpointAsync(daemon, 1);
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False"))
            {
                connection.Open();
                using var copy = connection.CreateCommand();
                copy.CommandText = $"VACUUM INTO '{backup}';";
                copy.ExecuteNonQuery();
            }

            var sizeAtBackup = (await daemon.SocketClient().GetLogCheckpointAsync(new GetLogCheckpointRequest())).Size;
            for (var i = 0; i < 6; i++)
            {
                await IssueAsync(daemon, $"late{i}");
            }

            await CheckpointAsync(daemon, sizeAtBackup + 6);
            Ok(Cli("--socket", daemon.SocketPath, "audit", "verify", "--log-key", verifierKey, "--state", state), "audit verify before the restore");
        }

        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            File.Delete(database + suffix);
        }

        File.Copy(backup, database, overwrite: true);
        await using (var restored = await StartAsync(token, logKey, database))
        {
            await CheckpointAsync(restored, 1);
            var rollback = Cli("--socket", restored.SocketPath, "audit", "verify", "--state", state);
            Assert.True(rollback.ExitCode == 5, rollback.Output);
            Assert.Contains("ROLLBACK", rollback.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheHsmSignedLogIsVerifiedByGoByOpenSshAndByTheCliAndRollbackAndForkAreRefused()
    {
        var (token, logKey) = Token("log");
        var publishPort = Repository.FreePort();
        await using var daemon = await StartAsync(token, logKey, publishPort: publishPort);

        var serials = new List<ulong>();
        for (var i = 0; i < 5; i++)
        {
            serials.Add(await IssueAsync(daemon, $"user{i}"));
        }

        var first = await CheckpointAsync(daemon, 5);
        var verifierKey = SignedNote.VerifierKey("ca.example.test/log", logKey.PublicKey.Span);
        Assert.Equal(verifierKey, first.VerifierKey);

        // The CLI pins the key (from the token, not from the answer) and remembers the checkpoint.
        var state = _dir.PathOf("log.json");
        var verified = Cli("--socket", daemon.SocketPath, "audit", "verify", "--log-key", verifierKey, "--state", state);
        Ok(verified, "audit verify");
        Assert.Contains("signed by ca.example.test/log", verified.Stdout, StringComparison.Ordinal);

        for (var i = 5; i < 9; i++)
        {
            serials.Add(await IssueAsync(daemon, $"user{i}"));
        }

        var latest = await CheckpointAsync(daemon, first.Size + 4);
        var grown = Cli("--socket", daemon.SocketPath, "audit", "verify", "--state", state, "--records");
        Ok(grown, "audit verify (grown)");
        Assert.Contains($"extends the {first.Size} leaves verified", grown.Stdout, StringComparison.Ordinal);
        Assert.Contains("signed checkpoints hold", grown.Stdout, StringComparison.Ordinal);

        // Go's sumdb: the note, every certificate's inclusion proof, the consistency proof, the tiles.
        var input = new StringBuilder();
        input.Append(CultureInfo.InvariantCulture, $"note {verifierKey} {B64(Encoding.UTF8.GetBytes(latest.Note))}\n");
        foreach (var serial in serials)
        {
            var proof = await daemon.SocketClient().GetLogInclusionProofAsync(new GetLogInclusionProofRequest { Serial = serial });
            Assert.Equal(serial, LogEntry.Parse(proof.Entry.Span).Serial);
            var hashes = proof.Hashes.Count == 0 ? "-" : string.Join(',', proof.Hashes.Select(h => B64(h.ToByteArray())));
            input.Append(CultureInfo.InvariantCulture, $"inclusion {proof.Index} {B64(proof.Entry.ToByteArray())} {proof.Checkpoint.Size} {B64(proof.Checkpoint.Root.ToByteArray())} {hashes}\n");
        }

        var consistency = await daemon.SocketClient().GetLogConsistencyProofAsync(new GetLogConsistencyProofRequest { First = first.Size, Second = latest.Size });
        input.Append(CultureInfo.InvariantCulture, $"consistency {first.Size} {B64(first.Root.ToByteArray())} {latest.Size} {B64(latest.Root.ToByteArray())} {string.Join(',', consistency.Hashes.Select(h => B64(h.ToByteArray())))}\n");
        input.Append(CultureInfo.InvariantCulture, $"tiles https://127.0.0.1:{publishPort}/log {daemon.ServerCaFile} {latest.Size} {B64(latest.Root.ToByteArray())}\n");
        var go = ProcessRunner.Run(GoVerifier.Build(_dir), [], stdin: Encoding.UTF8.GetBytes(input.ToString()), timeoutMs: 120_000);
        Assert.True(go.ExitCode == 0, go.Output);
        Assert.Contains($"ok {latest.Size} records proven from tiles", go.Stdout, StringComparison.Ordinal);

        // ssh-keygen -Y verify checks the checkpoint's SSHSIG with nothing but the log key.
        var url = $"https://127.0.0.1:{publishPort}/log";
        var text = _dir.PathOf("checkpoint.txt");
        File.WriteAllText(text, SignedNote.Parse(latest.Note).Text);
        Ok(ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, "-o", text + ".sig", url + "/checkpoint.sig"]), "curl /log/checkpoint.sig");
        var signers = _dir.Write("allowed_signers", "ca.example.test/log " + logKey.ToOpenSshLine() + "\n");
        var sshsig = ProcessRunner.Run(OpenSsh.SshKeygen, ["-Y", "verify", "-f", signers, "-I", "ca.example.test/log", "-n", LogSignature.Namespace, "-s", text + ".sig"], stdin: File.ReadAllBytes(text));
        Ok(sshsig, "ssh-keygen -Y verify of the checkpoint");
        var note = ProcessRunner.Run("/usr/bin/curl", ["-sS", "--fail", "--cacert", daemon.ServerCaFile, url + "/checkpoint"]);
        Assert.StartsWith("ca.example.test/log\n", note.Stdout, StringComparison.Ordinal);
        Assert.Equal("404", ProcessRunner.Run("/usr/bin/curl", ["-sS", "--cacert", daemon.ServerCaFile, "-o", "/dev/null", "-w", "%{http_code}", url + "/tile/0/0001"]).Stdout);

        // audit prove: the proof is checked against the pinned key and printed for others.
        var prove = Cli("--socket", daemon.SocketPath, "audit", "prove", serials[2].ToString(CultureInfo.InvariantCulture), "--state", state);
        Ok(prove, "audit prove");
        Assert.Contains("checkpoint signed by the pinned log key ca.example.test/log", prove.Stdout, StringComparison.Ordinal);
        Assert.Contains($"certificate {serials[2]} is leaf", prove.Stdout, StringComparison.Ordinal);

        // A state that saw more leaves than the log now has: the log was rolled back (exit 5).
        var remembered = File.ReadAllText(state);
        string With(string field, System.Text.Json.Nodes.JsonNode value)
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(remembered)!;
            json[field] = value;
            return json.ToJsonString();
        }

        File.WriteAllText(state, With("size", latest.Size + 10));
        var rollback = Cli("--socket", daemon.SocketPath, "audit", "verify", "--state", state);
        Assert.True(rollback.ExitCode == 5, rollback.Output);
        Assert.Contains("ROLLBACK", rollback.Stderr, StringComparison.Ordinal);

        // The same size with another root: a fork (exit 4); another key pinned: refused (exit 4).
        File.WriteAllText(state, With("root", B64(new byte[32])));
        var fork = Cli("--socket", daemon.SocketPath, "audit", "verify", "--state", state);
        Assert.True(fork.ExitCode == 4 && fork.Stderr.Contains("FORK", StringComparison.Ordinal), fork.Output);
        var otherKey = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), 0, otherKey, 0);
        var other = SignedNote.VerifierKey("ca.example.test/log", otherKey);
        var stranger = Cli("--socket", daemon.SocketPath, "audit", "verify", "--log-key", other, "--state", _dir.PathOf("other.json"));
        Assert.True(stranger.ExitCode == 4, stranger.Output);
        Assert.Contains("not signed by the pinned log key", stranger.Stderr, StringComparison.Ordinal);

        // A link in place of the state file is refused, and what it points to is left alone.
        var target = _dir.Write("elsewhere.json", "{}");
        var link = _dir.PathOf("linked.json");
        File.CreateSymbolicLink(link, target);
        var linked = Cli("--socket", daemon.SocketPath, "audit", "verify", "--log-key", verifierKey, "--state", link);
        Assert.True(linked.ExitCode == 2, linked.Output);
        Assert.Contains("not a log state file (a link", linked.Stderr, StringComparison.Ordinal);
        Assert.Equal("{}", File.ReadAllText(target));
    }
}
