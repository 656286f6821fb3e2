using System.Security.Cryptography;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// An OpenSSH key revocation list (PROTOCOL.krl), as sshd's <c>RevokedKeys</c>, ssh's
/// <c>RevokedHostKeys</c> and <c>ssh-keygen -k/-Q</c> read it. <see cref="Encode"/> writes the
/// bytes <c>ssh-keygen -k</c> writes for the same revocations (krl.c's choice of serial list,
/// range and bitmap), except that a bitmap never exceeds 16,384 bits, the most OpenSSH reads
/// back (sshbuf's SSHBUF_MAX_BIGNUM; ssh-keygen 9.2 writes longer ones it then refuses to read,
/// and sshd would treat such a file as revoking everything). Never a SIGNATURE section:
/// OpenSSH ≥ 9.4 refuses them; KRLs are signed out of band (SSHSIG).
/// </summary>
public sealed class SshKrl
{
    /// <summary>The largest KRL parsed (64 MiB, several million serials as a list).</summary>
    public const int MaxLength = 64 * 1024 * 1024;

    /// <summary>The most bits a serial bitmap holds that OpenSSH reads back (2,048 bytes).</summary>
    public const int MaxBitmapBits = 16384;

    internal SshKrl(ulong version, ulong generatedDate, string comment, IReadOnlyList<KrlCertificateSection> certificates, IReadOnlyList<byte[]> explicitKeys, IReadOnlyList<byte[]> sha1, IReadOnlyList<byte[]> sha256)
    {
        Version = version;
        GeneratedDate = generatedDate;
        Comment = comment;
        Certificates = certificates;
        ExplicitKeys = explicitKeys;
        Sha1Fingerprints = sha1;
        Sha256Fingerprints = sha256;
    }

    /// <summary>The KRL version (krl_version): the CA increases it with every change.</summary>
    public ulong Version { get; }

    /// <summary>When it was generated, Unix seconds.</summary>
    public ulong GeneratedDate { get; }

    /// <summary>The comment.</summary>
    public string Comment { get; }

    /// <summary>Certificate revocations, one section per CA key, in the order written.</summary>
    public IReadOnlyList<KrlCertificateSection> Certificates { get; }

    /// <summary>Revoked plain key blobs (EXPLICIT_KEY), sorted.</summary>
    public IReadOnlyList<byte[]> ExplicitKeys { get; }

    /// <summary>Revoked keys by SHA-1 of their blob, sorted (read, never written by this CA).</summary>
    public IReadOnlyList<byte[]> Sha1Fingerprints { get; }

    /// <summary>Revoked keys by SHA-256 of their blob, sorted.</summary>
    public IReadOnlyList<byte[]> Sha256Fingerprints { get; }

    /// <summary>
    /// OpenSSH's verdict (krl.c ssh_krl_check_key) on a plain key: revoked when its blob, or the
    /// SHA-1 or SHA-256 of its blob, is listed.
    /// </summary>
    public bool IsRevoked(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return IsBlobRevoked(key.Blob.Span);
    }

    /// <summary>
    /// OpenSSH's verdict on a certificate: its plain key is revoked; or, in the section of its CA
    /// or of any CA, its key id is listed or its serial (when not 0) is; or its CA key is revoked.
    /// </summary>
    public bool IsRevoked(SshCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (IsBlobRevoked(certificate.PublicKey.Blob.Span))
        {
            return true;
        }

        foreach (var section in Certificates)
        {
            if ((section.AnyCa || section.CaKeyBlob.Span.SequenceEqual(certificate.SignatureKey.Blob.Span))
                && (section.RevokesKeyId(certificate.KeyIdBytes.Span) || section.RevokesSerial(certificate.Serial)))
            {
                return true;
            }
        }

        return IsBlobRevoked(certificate.SignatureKey.Blob.Span);
    }

    /// <summary>Writes the KRL (header, certificate sections, explicit keys, SHA-1, SHA-256).</summary>
    public byte[] Encode() => KrlWriter.Encode(this);

    /// <summary>Parses a KRL strictly: unknown or signature sections, critical extensions, trailing bytes, serial 0 and reversed ranges fail.</summary>
    /// <exception cref="SshFormatException">The bytes are not a KRL OpenSSH would accept.</exception>
    public static SshKrl Parse(ReadOnlyMemory<byte> bytes) => KrlReader.Parse(bytes);

    private bool IsBlobRevoked(ReadOnlySpan<byte> blob)
    {
        if (Contains(ExplicitKeys, blob))
        {
            return true;
        }

        if (Sha256Fingerprints.Count > 0 && Contains(Sha256Fingerprints, SHA256.HashData(blob)))
        {
            return true;
        }

#pragma warning disable CA5350 // SHA-1 fingerprints are part of the KRL format; read, never written.
        return Sha1Fingerprints.Count > 0 && Contains(Sha1Fingerprints, SHA1.HashData(blob));
#pragma warning restore CA5350
    }

    /// <summary>Binary search in a list sorted bytewise.</summary>
    internal static bool Contains(IReadOnlyList<byte[]> sorted, ReadOnlySpan<byte> value)
    {
        int lo = 0, hi = sorted.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var order = sorted[mid].AsSpan().SequenceCompareTo(value);
            if (order == 0)
            {
                return true;
            }

            if (order < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return false;
    }
}
