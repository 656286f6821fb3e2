namespace SshHsmCa.Interop.Tests.Support;

/// <summary>A copy of a build output that another account can run (folders 0755, files 0644).</summary>
internal static class ReadableCopy
{
    public static void Of(string from, string to)
    {
        Directory.CreateDirectory(to);
        File.SetUnixFileMode(to, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var file in Directory.GetFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        foreach (var sub in Directory.GetDirectories(from))
        {
            Of(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }
}
