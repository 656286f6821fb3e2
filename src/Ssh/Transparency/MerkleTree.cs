using System.Numerics;
using System.Security.Cryptography;

namespace SshHsmCa.Ssh.Transparency;

/// <summary>
/// The Merkle tree of an append-only log (RFC 6962 §2.1, RFC 9162 §2.1): leaf hash
/// SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right), the tree hash of n leaves, and
/// inclusion and consistency proofs with their verification. Hashes come from a reader of the
/// stored complete subtrees (level, index): the hash of leaves [index·2^level, (index+1)·2^level),
/// what <see cref="CompactRange"/> produces as leaves are appended, so every proof costs O(log² n)
/// reads at most and nothing is recomputed from the leaves.
/// </summary>
public static class MerkleTree
{
    /// <summary>Bytes of a hash.</summary>
    public const int HashLength = 32;

    /// <summary>A reader of stored complete-subtree hashes.</summary>
    public delegate byte[] StoredHash(int level, long index);

    /// <summary>The hash of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>SHA-256(0x00 ‖ leaf).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> leaf)
    {
        var data = new byte[leaf.Length + 1];
        leaf.CopyTo(data.AsSpan(1));
        return SHA256.HashData(data);
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right).</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> data = stackalloc byte[1 + (2 * HashLength)];
        data[0] = 1;
        left.CopyTo(data[1..]);
        right.CopyTo(data[(1 + HashLength)..]);
        return SHA256.HashData(data);
    }

    /// <summary>The tree hash of the first <paramref name="size"/> leaves.</summary>
    public static byte[] TreeHash(long size, StoredHash stored)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return size == 0 ? EmptyRoot : SubtreeHash(0, size, stored);
    }

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves (RFC 6962 §2.1.1 PATH).</summary>
    public static IReadOnlyList<byte[]> InclusionProof(long index, long size, StoredHash stored)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} is not in a tree of {size}");
        }

        var proof = new List<byte[]>();
        Path(index, 0, size, stored, proof);
        return proof;
    }

    /// <summary>The proof that the tree of <paramref name="first"/> leaves is a prefix of the tree of <paramref name="second"/> (RFC 6962 §2.1.2 PROOF).</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(long first, long second, StoredHash stored)
    {
        if (first < 0 || first > second)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"a tree of {first} cannot be a prefix of a tree of {second}");
        }

        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            SubProof(first, 0, second, true, stored, proof);
        }

        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2: does <paramref name="proof"/> put <paramref name="leafHash"/> at <paramref name="index"/> of the tree with <paramref name="root"/>?</summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long index, long size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size || proof.Count > 64)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != HashLength)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>RFC 9162 §2.1.4.2: does <paramref name="proof"/> show the tree of <paramref name="first"/> leaves is a prefix of the tree of <paramref name="second"/>?</summary>
    public static bool VerifyConsistency(long first, long second, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (first < 0 || first > second || proof.Count > 64 || proof.Any(p => p.Length != HashLength))
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (first == 0)
        {
            return proof.Count == 0;
        }

        var path = BitOperations.IsPow2(first) ? [firstRoot.ToArray(), .. proof] : proof.ToList();
        if (path.Count == 0)
        {
            return false;
        }

        var fn = first - 1;
        var sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(fr, firstRoot) && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    /// <summary>The hash of leaves [lo, hi): a stored complete subtree, or the split of RFC 6962's MTH.</summary>
    private static byte[] SubtreeHash(long lo, long hi, StoredHash stored)
    {
        var n = hi - lo;
        if (BitOperations.IsPow2(n) && lo % n == 0)
        {
            return stored(BitOperations.Log2((ulong)n), lo / n);
        }

        var k = LargestPowerOfTwoBelow(n);
        return NodeHash(SubtreeHash(lo, lo + k, stored), SubtreeHash(lo + k, hi, stored));
    }

    private static void Path(long m, long lo, long hi, StoredHash stored, List<byte[]> proof)
    {
        var n = hi - lo;
        if (n == 1)
        {
            return;
        }

        var k = LargestPowerOfTwoBelow(n);
        if (m < lo + k)
        {
            Path(m, lo, lo + k, stored, proof);
            proof.Add(SubtreeHash(lo + k, hi, stored));
        }
        else
        {
            Path(m, lo + k, hi, stored, proof);
            proof.Add(SubtreeHash(lo, lo + k, stored));
        }
    }

    private static void SubProof(long m, long lo, long hi, bool original, StoredHash stored, List<byte[]> proof)
    {
        var n = hi - lo;
        if (m == n)
        {
            if (!original)
            {
                proof.Add(SubtreeHash(lo, hi, stored));
            }

            return;
        }

        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            SubProof(m, lo, lo + k, original, stored, proof);
            proof.Add(SubtreeHash(lo + k, hi, stored));
        }
        else
        {
            SubProof(m - k, lo + k, hi, false, stored, proof);
            proof.Add(SubtreeHash(lo, lo + k, stored));
        }
    }

    /// <summary>The largest power of two strictly below <paramref name="n"/> (n ≥ 2).</summary>
    private static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));
}
