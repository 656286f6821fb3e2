using System.Net;
using System.Net.Sockets;

namespace SshHsmCa.Tests.Shared;

/// <summary>Where the tests find the repository, the reference vectors, built programs and free ports.</summary>
internal static class Repository
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SshHsmCa.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("SshHsmCa.sln not found above the test binaries");
    });

    /// <summary>The repository root (the folder holding SshHsmCa.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>A file of ../shared/vectors (or of $SSHHSMCA_VECTORS); missing vectors fail loudly.</summary>
    public static string Vector(string relative)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SSHHSMCA_VECTORS");
        var root = string.IsNullOrEmpty(fromEnvironment) ? Path.GetFullPath(Path.Combine(Root, "..", "shared", "vectors")) : fromEnvironment;
        return Directory.Exists(root)
            ? Path.Combine(root, relative)
            : throw new DirectoryNotFoundException($"reference vectors not found at {root} (expected ../shared/vectors beside the repository)");
    }

    /// <summary>A program built from src/ in the same configuration as the tests.</summary>
    public static string Binary(string project, string dll, string folder = "src")
    {
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Root, folder, project, "bin", configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built (dotnet build SshHsmCa.sln)", path);
    }

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
