using SshHsmCa.Tests.Shared;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>The .proto files are the public contract: buf lint (STANDARD and COMMENTS) and buf breaking against the released contract must pass.</summary>
public class ProtoContractTests
{
    [Fact]
    public void BufLintIsClean()
    {
        var root = Repository.Root;
        var buf = Path.Combine(root, "tools", "buf", "node_modules", ".bin", "buf");
        Assert.True(File.Exists(buf), $"{buf} is missing: scripts/install-test-deps.sh installs it");
        var result = ProcessRunner.Run(buf, ["lint", Path.Combine(root, "src", "Protos")]);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(string.Empty, result.Output.Trim());
    }

    [Fact]
    public void NothingBreaksTheReleasedContract()
    {
        var root = Repository.Root;
        var buf = Path.Combine(root, "tools", "buf", "node_modules", ".bin", "buf");
        Assert.True(File.Exists(buf), $"{buf} is missing: scripts/install-test-deps.sh installs it");
        var result = ProcessRunner.Run(buf, ["breaking", Path.Combine(root, "src", "Protos"), "--against", Path.Combine(root, "contracts", "released")]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

}
