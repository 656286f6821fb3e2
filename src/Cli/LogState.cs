using System.Text.Json;

namespace SshHsmCa.Cli;

/// <summary>
/// What <c>audit verify</c> remembers between runs: the pinned log key and the largest checkpoint
/// it verified, so that a smaller or different tree later is a rollback or a fork, never accepted.
/// Kept in <c>$XDG_STATE_HOME/ssh-hsm-ca/log.json</c> (default <c>~/.local/state</c>), written atomically.
/// </summary>
internal sealed record LogState
{
    /// <summary>The pinned verifier key (<c>name+id+key</c>).</summary>
    public required string VerifierKey { get; init; }

    /// <summary>The log's origin.</summary>
    public required string Origin { get; init; }

    /// <summary>The largest verified size.</summary>
    public required long Size { get; init; }

    /// <summary>Its root, base64.</summary>
    public required string Root { get; init; }

    /// <summary>The signed note verified (kept as evidence to show elsewhere).</summary>
    public required string Note { get; init; }

    /// <summary>When it was verified, Unix seconds.</summary>
    public required long VerifiedAt { get; init; }

    /// <summary>The default state file.</summary>
    public static string DefaultPath => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"),
        "ssh-hsm-ca", "log.json");

    /// <summary>The state in <paramref name="path"/>, or null when there is none; a file that is not one is an error (never silently replaced).</summary>
    public static LogState? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Length > 64 * 1024)
        {
            throw new UsageException($"{path}: not a log state file (a link, or larger than 64 KiB)");
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), LogStateJson.Default.LogState) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not a log state file ({e.Message}); move it away only if you know why it changed");
        }
    }

    /// <summary>Writes the state (0600), atomically, never through a link.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        FileOutput.WriteAtomically(path, JsonSerializer.Serialize(this, LogStateJson.Default.LogState), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
