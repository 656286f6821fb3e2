namespace SshHsmCa.Ssh.Transparency;

/// <summary>
/// The right edge of an append-only Merkle tree: the roots of its complete subtrees, largest
/// first (one per set bit of the size), so an append costs O(log n) and needs no other hash.
/// Each append returns the hashes to store: the leaf's, at level 0, and every complete subtree it
/// closes, which is what <see cref="MerkleTree"/>'s proofs read.
/// </summary>
public sealed class CompactRange
{
    private readonly List<byte[]> _roots;

    /// <summary>A range of <paramref name="size"/> leaves with these subtree roots (largest first).</summary>
    public CompactRange(long size, IEnumerable<byte[]> roots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(roots);
        _roots = [.. roots];
        if (_roots.Count != System.Numerics.BitOperations.PopCount((ulong)size) || _roots.Any(r => r.Length != MerkleTree.HashLength))
        {
            throw new ArgumentException($"a tree of {size} leaves has {System.Numerics.BitOperations.PopCount((ulong)size)} subtree roots of 32 bytes", nameof(roots));
        }

        Size = size;
    }

    /// <summary>The number of leaves.</summary>
    public long Size { get; private set; }

    /// <summary>The complete subtrees' roots, largest first.</summary>
    public IReadOnlyList<byte[]> Roots => _roots;

    /// <summary>An empty range.</summary>
    public static CompactRange Empty() => new(0, []);

    /// <summary>The tree hash of the leaves so far.</summary>
    public byte[] Root()
    {
        if (_roots.Count == 0)
        {
            return MerkleTree.EmptyRoot;
        }

        var hash = _roots[^1];
        for (var i = _roots.Count - 2; i >= 0; i--)
        {
            hash = MerkleTree.NodeHash(_roots[i], hash);
        }

        return hash;
    }

    /// <summary>Appends a leaf (its hash); returns the (level, index, hash) to store.</summary>
    public IReadOnlyList<(int Level, long Index, byte[] Hash)> Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleTree.HashLength)
        {
            throw new ArgumentException("a leaf hash is 32 bytes", nameof(leafHash));
        }

        var stored = new List<(int, long, byte[])> { (0, Size, leafHash) };
        var hash = leafHash;
        var level = 0;
        var index = Size;
        while ((index & 1) == 1)
        {
            hash = MerkleTree.NodeHash(_roots[^1], hash);
            _roots.RemoveAt(_roots.Count - 1);
            level++;
            index >>= 1;
            stored.Add((level, index, hash));
        }

        _roots.Add(hash);
        Size++;
        return stored;
    }
}
