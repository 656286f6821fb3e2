using System.Text;

namespace SshHsmCa.Ssh;

/// <summary>UTF-8 helpers shared by the readers and writers.</summary>
public static class SshText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes bytes already checked by <see cref="SshReader"/>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => StrictUtf8.GetString(bytes);

    /// <summary>Strict UTF-8 byte count; lone surrogates fail.</summary>
    public static int GetByteCount(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("text is not valid Unicode (lone surrogate)", nameof(text), e);
        }
    }

    /// <summary>Encodes to UTF-8; lone surrogates fail.</summary>
    public static byte[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("text is not valid Unicode (lone surrogate)", nameof(text), e);
        }
    }

    /// <summary>Splits an RFC 4251 name-list (already validated) into names.</summary>
    public static string[] SplitNameList(ReadOnlySpan<byte> nameList) =>
        nameList.IsEmpty ? [] : Decode(nameList).Split(',');

    /// <summary>
    /// Bytewise comparison of the UTF-8 forms, as OpenSSH's strcmp orders option names
    /// (PROTOCOL.certkeys: options sorted by name). Ordinal UTF-16 order differs from it only
    /// for supplementary characters, so compare the encoded bytes.
    /// </summary>
    public static int CompareBytewise(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var ascii = true;
        foreach (var c in left)
        {
            ascii &= c < 0x80;
        }

        foreach (var c in right)
        {
            ascii &= c < 0x80;
        }

        return ascii ? string.CompareOrdinal(left, right) : Encode(left).AsSpan().SequenceCompareTo(Encode(right));
    }
}
