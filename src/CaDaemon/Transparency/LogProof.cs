namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>An inclusion proof: the leaf, where it is, and the path to the root of the signed checkpoint it is proven against.</summary>
/// <param name="Index">The leaf's index.</param>
/// <param name="Entry">The leaf's canonical bytes.</param>
/// <param name="Hashes">The audit path, leaf side first.</param>
/// <param name="Checkpoint">The signed checkpoint the proof leads to.</param>
internal sealed record LogProof(long Index, byte[] Entry, IReadOnlyList<byte[]> Hashes, SignedCheckpoint Checkpoint);
