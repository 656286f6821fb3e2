using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Transparency;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 31: an independent implementation agrees. Go's golang.org/x/mod/sumdb (tlog and note,
/// Debian's golang-golang-x-mod-dev) verifies our signed checkpoint, our inclusion proofs for every
/// leaf of a 37-leaf tree, and our consistency proofs between every pair of sizes; it refuses a
/// tampered proof and a checkpoint signed by another key.
/// </summary>
public sealed class TransparencyGoTests : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-tlog-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GosSumdbVerifiesOurCheckpointsAndProofs()
    {
        var verifier = GoVerifier.Build(_dir);
        var leaves = Enumerable.Range(0, 37).Select(i => Encoding.UTF8.GetBytes($"certificate {i}")).ToArray();
        var range = CompactRange.Empty();
        var stored = new Dictionary<(int, long), byte[]>();
        foreach (var leaf in leaves)
        {
            foreach (var (level, index, hash) in range.Append(MerkleTree.LeafHash(leaf)))
            {
                stored[(level, index)] = hash;
            }
        }

        byte[] Stored(int level, long index) => stored[(level, index)];
        var seed = RandomNumberGenerator.GetBytes(32);
        var publicKey = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, publicKey, 0);
        var text = new Checkpoint("ca.example.com/log", leaves.Length, range.Root()).ToText();
        var note = SignedNote.Compose(text, [SignedNote.SignatureLine(text, "ca.example.com", publicKey, data => Sign(seed, data))]);

        var input = new StringBuilder();
        input.Append(CultureInfo.InvariantCulture, $"note {SignedNote.VerifierKey("ca.example.com", publicKey)} {B64(Encoding.UTF8.GetBytes(note))}\n");
        var lines = 1;
        for (var size = 1; size <= leaves.Length; size += 4)
        {
            var root = MerkleTree.TreeHash(size, Stored);
            for (var index = 0; index < size; index++)
            {
                input.Append(CultureInfo.InvariantCulture, $"inclusion {index} {B64(leaves[index])} {size} {B64(root)} {Proof(MerkleTree.InclusionProof(index, size, Stored))}\n");
                lines++;
            }

            // (Go checks from one leaf on: every tree extends the empty one.)
            for (var first = 1; first <= size; first++)
            {
                input.Append(CultureInfo.InvariantCulture, $"consistency {first} {B64(MerkleTree.TreeHash(first, Stored))} {size} {B64(root)} {Proof(MerkleTree.ConsistencyProof(first, size, Stored))}\n");
                lines++;
            }
        }

        var result = ProcessRunner.Run(verifier, [], stdin: Encoding.UTF8.GetBytes(input.ToString()), timeoutMs: 120_000);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(lines, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("ok", StringComparison.Ordinal)));
        Assert.StartsWith("ok 1 signatures", result.Stdout, StringComparison.Ordinal);

        // Go refuses what must be refused: a tampered proof, another signer's key.
        var proof = MerkleTree.InclusionProof(5, 20, Stored).Select(p => p.ToArray()).ToList();
        proof[1][0] ^= 1;
        var tampered = ProcessRunner.Run(verifier, [], stdin: Encoding.UTF8.GetBytes($"inclusion 5 {B64(leaves[5])} 20 {B64(MerkleTree.TreeHash(20, Stored))} {Proof(proof)}\n"));
        Assert.True(tampered.ExitCode == 1 && tampered.Stdout.Contains("fail: inclusion", StringComparison.Ordinal), tampered.Output);
        var otherKey = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(RandomNumberGenerator.GetBytes(32), 0, otherKey, 0);
        var stranger = ProcessRunner.Run(verifier, [], stdin: Encoding.UTF8.GetBytes($"note {SignedNote.VerifierKey("ca.example.com", otherKey)} {B64(Encoding.UTF8.GetBytes(note))}\n"));
        Assert.True(stranger.ExitCode == 1 && stranger.Stdout.Contains("fail: note", StringComparison.Ordinal), stranger.Output);

        // And ours verifies Go's view of the same note.
        Assert.Equal(text, SignedNote.Verify(note, "ca.example.com", Ed25519PublicKey.Create(publicKey)));
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    private static string Proof(IReadOnlyList<byte[]> proof) => proof.Count == 0 ? "-" : string.Join(',', proof.Select(B64));

    private static byte[] Sign(byte[] seed, byte[] data)
    {
        var signature = new byte[64];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(seed, 0, data, 0, data.Length, signature, 0);
        return signature;
    }
}
