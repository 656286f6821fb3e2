namespace SshHsmCa.Ssh;

/// <summary>The OpenSSH one-line text form of keys and certificates: <c>type base64 [comment]</c>.</summary>
internal static class SshLine
{
    public static string Format(string type, ReadOnlySpan<byte> blob, string? comment)
    {
        var base64 = Convert.ToBase64String(blob);
        if (string.IsNullOrEmpty(comment))
        {
            return $"{type} {base64}";
        }

        if (comment.Contains('\n', StringComparison.Ordinal) || comment.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("a key comment must be a single line", nameof(comment));
        }

        return $"{type} {base64} {comment}";
    }

    /// <summary>
    /// Splits a line into its type word, decoded blob and comment. Leading and trailing
    /// whitespace (and one trailing newline) are allowed; the base64 must be canonical.
    /// </summary>
    public static byte[] Split(ReadOnlySpan<char> line, string field, out ReadOnlySpan<char> typeWord, out string comment)
    {
        if (line.Length > SshLimits.MaxLineLength)
        {
            ThrowHelper.Format(field, $"line of {line.Length} characters exceeds {SshLimits.MaxLineLength}");
        }

        line = line.Trim();
        if (line.IsEmpty)
        {
            ThrowHelper.Format(field, "line is empty");
        }

        if (line.ContainsAny('\n', '\r', '\0'))
        {
            ThrowHelper.Format(field, "line contains a line break or NUL");
        }

        var space = line.IndexOfAny(' ', '\t');
        if (space < 0)
        {
            ThrowHelper.Format(field, "line has a type but no base64 blob");
        }

        typeWord = line[..space];
        var rest = line[(space + 1)..].TrimStart(" \t");
        var end = rest.IndexOfAny(' ', '\t');
        var base64 = end < 0 ? rest : rest[..end];
        comment = end < 0 ? string.Empty : rest[(end + 1)..].Trim(" \t").ToString();

        var bytes = new byte[(base64.Length / 4 * 3) + 3];
        var written = 0;
        if (base64.Length % 4 != 0 || !Convert.TryFromBase64Chars(base64, bytes, out written))
        {
            ThrowHelper.Format(field, "blob is not valid base64");
        }

        // Canonical form only: re-encoding must give the same text (no stray padding bits).
        Array.Resize(ref bytes, written);
        if (!base64.SequenceEqual(Convert.ToBase64String(bytes)))
        {
            ThrowHelper.Format(field, "blob is not canonical base64");
        }

        return bytes;
    }
}
