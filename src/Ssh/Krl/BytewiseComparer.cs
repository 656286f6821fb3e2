namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// Orders byte strings as OpenSSH's krl.c does: memcmp over the shorter length, then the shorter
/// first (blob_cmp; strcmp for key ids, which hold no NUL). For equal lengths this is the order of
/// big-endian integers, which PROTOCOL.krl asks for fingerprints.
/// </summary>
internal sealed class BytewiseComparer : IComparer<byte[]>
{
    public static BytewiseComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
