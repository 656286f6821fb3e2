using System.Text;

namespace SshHsmCa.Hsm;

/// <summary>
/// Where a PIN comes from: a systemd credential (<c>LoadCredential=</c>, read from
/// <c>$CREDENTIALS_DIRECTORY</c>) or a root-only file. Never the configuration file itself.
/// </summary>
public static class PinSource
{
    /// <summary>Largest PIN file read.</summary>
    public const int MaxPinLength = 256;

    /// <summary>
    /// Reads a PIN file: the first line, without the line end. The file must not be readable by
    /// group or others (a PIN in a world-readable file is refused, not used).
    /// </summary>
    public static byte[] ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileInfo info = new(path);
        if (!info.Exists)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PIN file {path} does not exist");
        }

        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != UnixFileMode.None)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PIN file {path} is readable or writable by group or others; chmod 0600 (or 0400) it");
        }

        if (info.Length > MaxPinLength)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PIN file {path} is larger than {MaxPinLength} bytes");
        }

        var text = Encoding.UTF8.GetString(File.ReadAllBytes(path));
        var end = text.IndexOfAny(['\r', '\n']);
        var pin = end < 0 ? text : text[..end];
        if (pin.Length == 0)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PIN file {path} is empty");
        }

        return Encoding.UTF8.GetBytes(pin);
    }

    /// <summary>Reads a systemd credential by name from <c>$CREDENTIALS_DIRECTORY</c>.</summary>
    public static byte[] ReadCredential(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new HsmException(HsmErrorKind.Configuration, $"credential name '{name}' must be a plain name");
        }

        var directory = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        if (string.IsNullOrEmpty(directory))
        {
            throw new HsmException(HsmErrorKind.Configuration, $"credential '{name}' requested but $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)");
        }

        return ReadFile(Path.Combine(directory, name));
    }
}
