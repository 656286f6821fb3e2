using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>The reference vectors in ../shared/vectors. Missing vectors fail the test loudly: they are not optional.</summary>
internal static class Vectors
{
    public static string Path(string relative) => Repository.Vector(relative);

    public static string ReadText(string relative) => File.ReadAllText(Path(relative));

    public static string FirstLine(string relative) => ReadText(relative).Split('\n')[0].Trim();
}
