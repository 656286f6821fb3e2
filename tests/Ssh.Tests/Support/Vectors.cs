namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>
/// The reference vectors in ../shared/vectors (relative to the repository root), or the folder
/// named by SSHHSMCA_VECTORS. Missing vectors fail the test loudly: they are not optional.
/// </summary>
internal static class Vectors
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    public static string ReadText(string relative) => File.ReadAllText(Path(relative));

    public static string FirstLine(string relative) => ReadText(relative).Split('\n')[0].Trim();

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SSHHSMCA_VECTORS");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new DirectoryNotFoundException($"SSHHSMCA_VECTORS={fromEnvironment} does not exist");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "SshHsmCa.sln")))
            {
                var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "vectors"));
                return Directory.Exists(candidate)
                    ? candidate
                    : throw new DirectoryNotFoundException($"reference vectors not found at {candidate} (expected ../shared/vectors beside the repository)");
            }
        }

        throw new DirectoryNotFoundException("SshHsmCa.sln not found above the test binaries; cannot locate ../shared/vectors");
    }
}
