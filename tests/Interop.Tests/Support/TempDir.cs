namespace SshHsmCa.Interop.Tests.Support;

/// <summary>A temporary folder (mode 0700) removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "sshhsmca-interop-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string contents, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var file = PathOf(name);
        System.IO.File.WriteAllText(file, contents);
        System.IO.File.SetUnixFileMode(file, mode);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
