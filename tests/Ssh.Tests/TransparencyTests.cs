using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Issue 31, the tree: RFC 6962 hashing, appends through the compact range, the tree hash from
/// stored subtrees against the definition computed from the leaves, inclusion and consistency
/// proofs for every index and every pair of sizes up to 40 (each proof tampered must fail), the
/// C2SP checkpoint text and signed notes. Go's golang.org/x/mod/sumdb verifies the same things in
/// Interop.Tests (TransparencyGoTests).
/// </summary>
public sealed class TransparencyTests
{
    private static readonly byte[][] Leaves = [.. Enumerable.Range(0, 40).Select(i => Encoding.UTF8.GetBytes($"leaf {i}"))];

    [Fact]
    public void TheEmptyTreeAndALeafHashAreRfc6962s()
    {
        Assert.Equal("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", Convert.ToHexString(MerkleTree.EmptyRoot));
        Assert.Equal(Convert.ToHexString(SHA256.HashData([0, .. "x"u8])), Convert.ToHexString(MerkleTree.LeafHash("x"u8)));
        Assert.Equal(Convert.ToHexString(SHA256.HashData([1, .. new byte[32], .. Enumerable.Repeat((byte)1, 32)])), Convert.ToHexString(MerkleTree.NodeHash(new byte[32], Enumerable.Repeat((byte)1, 32).ToArray())));
    }

    [Fact]
    public void AppendsGiveTheTreeHashOfTheDefinitionAtEverySize()
    {
        var (range, stored) = Build(Leaves.Length);
        for (var size = 0; size <= Leaves.Length; size++)
        {
            Assert.Equal(Convert.ToHexString(Mth(Leaves.AsSpan(0, size))), Convert.ToHexString(MerkleTree.TreeHash(size, Reader(stored))));
        }

        Assert.Equal(Convert.ToHexString(Mth(Leaves)), Convert.ToHexString(range.Root()));
        var reopened = new CompactRange(range.Size, range.Roots);
        reopened.Append(MerkleTree.LeafHash("one more"u8));
        Assert.Equal(Convert.ToHexString(Mth([.. Leaves, "one more"u8.ToArray()])), Convert.ToHexString(reopened.Root()));
    }

    [Fact]
    public void EveryInclusionProofVerifiesAndATamperedOneDoesNot()
    {
        var (_, stored) = Build(Leaves.Length);
        for (var size = 1; size <= Leaves.Length; size++)
        {
            var root = MerkleTree.TreeHash(size, Reader(stored));
            for (var index = 0; index < size; index++)
            {
                var leaf = MerkleTree.LeafHash(Leaves[index]);
                var proof = MerkleTree.InclusionProof(index, size, Reader(stored));
                Assert.True(MerkleTree.VerifyInclusion(leaf, index, size, proof, root), $"leaf {index} of {size}");
                Assert.False(MerkleTree.VerifyInclusion(MerkleTree.LeafHash("other"u8), index, size, proof, root));
                if (size > 1)
                {
                    Assert.False(MerkleTree.VerifyInclusion(leaf, (index + 1) % size, size, proof, root) && Leaves[(index + 1) % size] != Leaves[index], $"leaf {index} of {size} proved at another index");
                    var tampered = proof.Select(p => p.ToArray()).ToList();
                    tampered[0][0] ^= 1;
                    Assert.False(MerkleTree.VerifyInclusion(leaf, index, size, tampered, root));
                    Assert.False(MerkleTree.VerifyInclusion(leaf, index, size, [.. proof, new byte[32]], root));
                }
            }
        }
    }

    [Fact]
    public void EveryConsistencyProofVerifiesAndATamperedOneDoesNot()
    {
        var (_, stored) = Build(Leaves.Length);
        for (var second = 0; second <= Leaves.Length; second++)
        {
            var secondRoot = MerkleTree.TreeHash(second, Reader(stored));
            for (var first = 0; first <= second; first++)
            {
                var firstRoot = MerkleTree.TreeHash(first, Reader(stored));
                var proof = MerkleTree.ConsistencyProof(first, second, Reader(stored));
                Assert.True(MerkleTree.VerifyConsistency(first, second, proof, firstRoot, secondRoot), $"{first} -> {second}");
                if (first > 0 && first < second)
                {
                    // A forked history: the same sizes with another first root.
                    Assert.False(MerkleTree.VerifyConsistency(first, second, proof, MerkleTree.LeafHash("fork"u8), secondRoot));
                    Assert.False(MerkleTree.VerifyConsistency(first, second, proof, firstRoot, MerkleTree.LeafHash("fork"u8)));
                    var tampered = proof.Select(p => p.ToArray()).ToList();
                    tampered[^1][5] ^= 1;
                    Assert.False(MerkleTree.VerifyConsistency(first, second, tampered, firstRoot, secondRoot));
                }
            }
        }
    }

    [Fact]
    public void ACheckpointReadsBackAndHostileTextIsRefusedByField()
    {
        var checkpoint = new Checkpoint("ca.example.com/log", 42, MerkleTree.LeafHash("x"u8));
        var parsed = Checkpoint.Parse(checkpoint.ToText());
        Assert.Equal((checkpoint.Origin, checkpoint.Size, Convert.ToHexString(checkpoint.Root)), (parsed.Origin, parsed.Size, Convert.ToHexString(parsed.Root)));
        foreach (var (text, field) in new[]
        {
            ("ca\n42\n", "checkpoint"),
            ("ca\n042\n" + Convert.ToBase64String(new byte[32]) + "\n", "checkpoint.size"),
            ("ca\n-1\n" + Convert.ToBase64String(new byte[32]) + "\n", "checkpoint.size"),
            ("ca\n1\n" + Convert.ToBase64String(new byte[31]) + "\n", "checkpoint.root"),
            ("ca\n1\n" + Convert.ToBase64String(new byte[32]), "checkpoint"),
            ("ca\n1\n\n" + Convert.ToBase64String(new byte[32]) + "\n", "checkpoint"),
        })
        {
            Assert.Equal(field, Assert.Throws<SshFormatException>(() => Checkpoint.Parse(text)).Field);
        }
    }

    [Fact]
    public void ASignedNoteVerifiesForItsKeyOnlyAndSeveralSignersEachAddALine()
    {
        var (seedA, keyA) = NewKey();
        var (seedB, keyB) = NewKey();
        var text = new Checkpoint("ca.example.com/log", 7, MerkleTree.LeafHash("x"u8)).ToText();
        var note = SignedNote.Compose(text, [
            SignedNote.SignatureLine(text, "appliance-a", keyA.PublicKey.Span, data => Sign(seedA, data)),
            SignedNote.SignatureLine(text, "appliance-b", keyB.PublicKey.Span, data => Sign(seedB, data)),
        ]);
        Assert.Equal(text, SignedNote.Verify(note, "appliance-a", keyA));
        Assert.Equal(text, SignedNote.Verify(note, "appliance-b", keyB));
        Assert.Throws<CryptographicException>(() => SignedNote.Verify(note, "appliance-a", keyB));
        Assert.Throws<CryptographicException>(() => SignedNote.Verify(note.Replace("\n7\n", "\n8\n", StringComparison.Ordinal), "appliance-a", keyA));
        Assert.Throws<SshFormatException>(() => SignedNote.Verify(text, "appliance-a", keyA));
        Assert.Equal("note", Assert.Throws<SshFormatException>(() => SignedNote.Parse(text + "\n")).Field);
        Assert.StartsWith("appliance-a+", SignedNote.VerifierKey("appliance-a", keyA.PublicKey.Span), StringComparison.Ordinal);
    }

    internal static (byte[] Seed, Ed25519PublicKey Key) NewKey()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var pk = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, pk, 0);
        return (seed, Ed25519PublicKey.Create(pk));
    }

    internal static byte[] Sign(byte[] seed, byte[] data)
    {
        var signature = new byte[64];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(seed, 0, data, 0, data.Length, signature, 0);
        return signature;
    }

    internal static (CompactRange Range, Dictionary<(int, long), byte[]> Stored) Build(int count)
    {
        var range = CompactRange.Empty();
        var stored = new Dictionary<(int, long), byte[]>();
        foreach (var leaf in Leaves.Take(count))
        {
            foreach (var (level, index, hash) in range.Append(MerkleTree.LeafHash(leaf)))
            {
                stored.Add((level, index), hash);
            }
        }

        return (range, stored);
    }

    internal static MerkleTree.StoredHash Reader(Dictionary<(int, long), byte[]> stored) => (level, index) => stored[(level, index)];

    /// <summary>RFC 6962's MTH, straight from the definition.</summary>
    private static byte[] Mth(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 0)
        {
            return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        }

        if (leaves.Length == 1)
        {
            return MerkleTree.LeafHash(leaves[0]);
        }

        var k = 1;
        while (k * 2 < leaves.Length)
        {
            k *= 2;
        }

        return MerkleTree.NodeHash(Mth(leaves[..k]), Mth(leaves[k..]));
    }
}
