using System.Text;

namespace SshHsmCa.Cli;

/// <summary>
/// Reading the small files the CLI is given (keys, certificates, tokens, batch lists): regular
/// files only, and bounded, so <c>/dev/zero</c> or a 4 GB file is a message, not an out-of-memory.
/// </summary>
internal static class CliFiles
{
    /// <summary>Enough for any OpenSSH key or certificate line (an RSA-16384 certificate with many principals is well under).</summary>
    public const int MaxKeyFile = 64 * 1024;

    /// <summary>A batch list of the largest allowed batch.</summary>
    public const int MaxListFile = 4 * 1024 * 1024;

    /// <summary>The bytes of <paramref name="path"/>, at most <paramref name="maxBytes"/>.</summary>
    /// <exception cref="IOException">Not a regular file, too large, or unreadable; the message names the file.</exception>
    public static byte[] ReadBytes(string path, int maxBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new IOException($"{path}: a directory, not a file");
        }

        // Never trusts a length: a device (/dev/zero) says 0 and never ends; the read is bounded instead.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new IOException($"{path}: larger than {maxBytes / 1024} KiB; not the file expected here");
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The text of <paramref name="path"/>, at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    /// <exception cref="IOException">Not a regular file, too large, or unreadable; the message names the file.</exception>
    public static string ReadText(string path, int maxBytes = MaxKeyFile)
    {
        var bytes = ReadBytes(path, maxBytes);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new IOException($"{path}: not UTF-8 text", e);
        }
    }
}
