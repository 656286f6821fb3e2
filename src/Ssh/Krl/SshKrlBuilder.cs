using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// Collects revocations and builds a <see cref="SshKrl"/> (PROTOCOL.krl). As in OpenSSH's krl.c,
/// certificate sections keep the order in which their CA keys were first named, serials are
/// coalesced into ranges, key ids and key blobs are sets sorted bytewise.
/// </summary>
public sealed class SshKrlBuilder
{
    private readonly List<Section> _sections = [];
    private readonly SortedSet<byte[]> _explicitKeys = new(BytewiseComparer.Instance);
    private readonly SortedSet<byte[]> _sha1 = new(BytewiseComparer.Instance);
    private readonly SortedSet<byte[]> _sha256 = new(BytewiseComparer.Instance);

    /// <summary>Revokes serials <paramref name="lo"/>..<paramref name="hi"/> of certificates signed by <paramref name="caKey"/> (null: any CA).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Serial 0 (which never matches) or lo greater than hi.</exception>
    public SshKrlBuilder RevokeSerials(SshPublicKey? caKey, ulong lo, ulong hi) => RevokeSerials(Blob(caKey), lo, hi);

    /// <summary>Revokes serial <paramref name="serial"/> of certificates signed by <paramref name="caKey"/>.</summary>
    public SshKrlBuilder RevokeSerial(SshPublicKey? caKey, ulong serial) => RevokeSerials(caKey, serial, serial);

    /// <summary>Revokes every certificate signed by <paramref name="caKey"/> (null: any CA) with this key id.</summary>
    public SshKrlBuilder RevokeKeyId(SshPublicKey? caKey, string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (keyId.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a key id with NUL cannot be written to a KRL", nameof(keyId));
        }

        SectionFor(Blob(caKey)).KeyIds.Add(System.Text.Encoding.UTF8.GetBytes(keyId));
        return this;
    }

    /// <summary>Revokes a plain key (and every certificate of it), by its blob (EXPLICIT_KEY).</summary>
    public SshKrlBuilder RevokeKey(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _explicitKeys.Add(key.Blob.ToArray());
        return this;
    }

    /// <summary>Revokes a plain key by the SHA-256 of its blob (FINGERPRINT_SHA256).</summary>
    public SshKrlBuilder RevokeKeySha256(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return RevokeSha256(SHA256.HashData(key.Blob.Span));
    }

    /// <summary>Revokes the key whose blob has this SHA-256 (32 bytes).</summary>
    public SshKrlBuilder RevokeSha256(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException($"a SHA-256 fingerprint has 32 bytes, not {hash.Length}", nameof(hash));
        }

        _sha256.Add(hash.ToArray());
        return this;
    }

    /// <summary>Builds the KRL.</summary>
    public SshKrl Build(ulong version, ulong generatedDate, string comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        var sections = _sections.Select(s => new KrlCertificateSection(s.CaKey, Coalesce(s.Serials), [.. s.KeyIds])).ToList();
        return new SshKrl(version, generatedDate, comment, sections, [.. _explicitKeys], [.. _sha1], [.. _sha256]);
    }

    internal SshKrlBuilder RevokeSerials(ReadOnlyMemory<byte> caKey, ulong lo, ulong hi)
    {
        if (lo == 0 || lo > hi)
        {
            throw new ArgumentOutOfRangeException(nameof(lo), $"serials {lo}..{hi}: serial 0 never matches and the range must not be reversed");
        }

        SectionFor(caKey).Serials.Add(new KrlSerialRange(lo, hi));
        return this;
    }

    internal void AddKeyIdBytes(ReadOnlyMemory<byte> caKey, byte[] keyId) => SectionFor(caKey).KeyIds.Add(keyId);

    internal void AddExplicitKeyBlob(byte[] blob) => _explicitKeys.Add(blob);

    internal void AddSha1(byte[] hash) => _sha1.Add(hash);

    internal void AddSha256(byte[] hash) => _sha256.Add(hash);

    /// <summary>Sorts the ranges and merges those that overlap or touch (krl.c insert_serial_range).</summary>
    private static KrlSerialRange[] Coalesce(List<KrlSerialRange> ranges)
    {
        if (ranges.Count == 0)
        {
            return [];
        }

        ranges.Sort((a, b) => a.Lo.CompareTo(b.Lo));
        var merged = new List<KrlSerialRange>(ranges.Count);
        var current = ranges[0];
        for (var i = 1; i < ranges.Count; i++)
        {
            var next = ranges[i];
            if (current.Hi == ulong.MaxValue || next.Lo <= current.Hi + 1)
            {
                current = current with { Hi = Math.Max(current.Hi, next.Hi) };
            }
            else
            {
                merged.Add(current);
                current = next;
            }
        }

        merged.Add(current);
        return [.. merged];
    }

    private static ReadOnlyMemory<byte> Blob(SshPublicKey? key) => key?.Blob ?? ReadOnlyMemory<byte>.Empty;

    private Section SectionFor(ReadOnlyMemory<byte> caKey)
    {
        foreach (var section in _sections)
        {
            if (section.CaKey.Span.SequenceEqual(caKey.Span))
            {
                return section;
            }
        }

        var created = new Section(caKey.ToArray());
        _sections.Add(created);
        return created;
    }

    private sealed class Section(byte[] caKey)
    {
        public ReadOnlyMemory<byte> CaKey { get; } = caKey;

        public List<KrlSerialRange> Serials { get; } = [];

        public SortedSet<byte[]> KeyIds { get; } = new(BytewiseComparer.Instance);
    }
}
