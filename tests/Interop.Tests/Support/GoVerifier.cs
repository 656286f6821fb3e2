using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>The independent verifier of the issuance log (tests/Interop.Tests/Transparency/verify.go on Go's sumdb tlog and note), built in GOPATH mode from Debian's packages.</summary>
internal static class GoVerifier
{
    /// <summary>Builds the verifier into <paramref name="dir"/>; returns its path.</summary>
    public static string Build(TempDir dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        Tools.Require("/usr/bin/go");
        Tools.Require("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog/tlog.go");
        var output = dir.PathOf("verify");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = "/usr/share/gocode",
            ["GOCACHE"] = dir.PathOf("gocache"),
            ["HOME"] = dir.Path,
            ["GOFLAGS"] = "",
            ["GOTOOLCHAIN"] = "local",
        };
        var build = ProcessRunner.Run("/usr/bin/go", ["build", "-o", output, Path.Combine(Repository.Root, "tests", "Interop.Tests", "Transparency", "verify.go")], environment, 300_000);
        Assert.True(build.ExitCode == 0, "go build of the sumdb verifier (golang-go, golang-golang-x-mod-dev): " + build.Output);
        return output;
    }
}
