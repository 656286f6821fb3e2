using SshHsmCa.CaDaemon.Hosting;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>Issue 31: tile paths of the publish listener are C2SP tlog-tiles paths, one spelling per tile, bounded.</summary>
public sealed class LogTilePathTests
{
    [Theory]
    [InlineData("0/000", 0, 0L, null)]
    [InlineData("0/x001/234", 0, 1234L, null)]
    [InlineData("1/x001/x234/067.p/5", 1, 1234067L, 5)]
    [InlineData("entries/000.p/1", -1, 0L, 1)]
    [InlineData("entries/x003/999", -1, 3999L, null)]
    [InlineData("7/255.p/255", 7, 255L, 255)]
    public void CanonicalPathsAreRead(string path, int level, long index, int? width)
    {
        Assert.True(LogEndpoints.TryParse(path, out var l, out var i, out var w));
        Assert.Equal((level, index, width), (l, i, w));
    }

    [Theory]
    [InlineData("0/1")]
    [InlineData("0/0001")]
    [InlineData("0/x000/001")]
    [InlineData("0/001/x002")]
    [InlineData("8/000")]
    [InlineData("00/000")]
    [InlineData("-1/000")]
    [InlineData("0/000.p/0")]
    [InlineData("0/000.p/256")]
    [InlineData("0/000.p/07")]
    [InlineData("0/000.p/")]
    [InlineData("0/x001")]
    [InlineData("0")]
    [InlineData("0/")]
    [InlineData("0/+12")]
    [InlineData("0/x999/x999/x999/x999/x999/x999/999")]
    [InlineData("entries")]
    [InlineData("data/000")]
    public void AnythingElseIsNotATile(string path) => Assert.False(LogEndpoints.TryParse(path, out _, out _, out _));
}
