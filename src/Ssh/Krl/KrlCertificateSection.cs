namespace SshHsmCa.Ssh.Krl;

/// <summary>
/// The certificates one CA key signed that a KRL revokes (PROTOCOL.krl, KRL_SECTION_CERTIFICATES):
/// serials, as sorted, disjoint and coalesced ranges, and key ids, sorted by their bytes.
/// </summary>
public sealed class KrlCertificateSection
{
    internal KrlCertificateSection(ReadOnlyMemory<byte> caKeyBlob, IReadOnlyList<KrlSerialRange> serials, IReadOnlyList<byte[]> keyIds)
    {
        CaKeyBlob = caKeyBlob;
        Serials = serials;
        KeyIdBytes = keyIds;
    }

    /// <summary>The CA's plain public key blob; empty for the section that applies to any CA.</summary>
    public ReadOnlyMemory<byte> CaKeyBlob { get; }

    /// <summary>True when the section applies to certificates of any CA.</summary>
    public bool AnyCa => CaKeyBlob.IsEmpty;

    /// <summary>Revoked serials, sorted, disjoint, with no two ranges adjacent.</summary>
    public IReadOnlyList<KrlSerialRange> Serials { get; }

    /// <summary>Revoked key ids (UTF-8 bytes as in the certificate), sorted bytewise.</summary>
    public IReadOnlyList<byte[]> KeyIdBytes { get; }

    /// <summary>The revoked key ids as text (bytes that are not UTF-8 shown as U+FFFD).</summary>
    public IEnumerable<string> KeyIds => KeyIdBytes.Select(b => System.Text.Encoding.UTF8.GetString(b));

    /// <summary>How many serials the section revokes.</summary>
    public ulong SerialCount => Serials.Aggregate(0UL, (sum, r) => sum + r.Count);

    /// <summary>True when <paramref name="serial"/> (never 0) is revoked by this section.</summary>
    public bool RevokesSerial(ulong serial)
    {
        if (serial == 0)
        {
            return false;
        }

        int lo = 0, hi = Serials.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var range = Serials[mid];
            if (serial < range.Lo)
            {
                hi = mid - 1;
            }
            else if (serial > range.Hi)
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the key id (its bytes) is revoked by this section.</summary>
    public bool RevokesKeyId(ReadOnlySpan<byte> keyId) => SshKrl.Contains(KeyIdBytes, keyId);
}
