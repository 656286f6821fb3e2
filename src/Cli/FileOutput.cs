namespace SshHsmCa.Cli;

/// <summary>Files the CLI writes: whole or not at all (temporary file, fsync, rename), with their mode from the start.</summary>
internal static class FileOutput
{
    /// <summary>0644: certificates and public keys.</summary>
    public const UnixFileMode PublicMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteAtomically(string path, string content, UnixFileMode mode) =>
        WriteAtomically(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    /// <summary>
    /// Bytes, whole or not at all: a temporary file beside the target (created new, never through
    /// a link), flushed to disk, renamed over the target (a link there is replaced, not followed).
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
