using System.Text;

namespace SshHsmCa.Hsm.Tests;

public sealed class PinSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-pin-").FullName;

    [Fact]
    public void ReadsTheFirstLineOfAnOwnerOnlyFile()
    {
        var path = Write("pin", "123456\nignored\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal("123456", Encoding.UTF8.GetString(PinSource.ReadFile(path)));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite)]
    public void RefusesFilesOthersCanReadOrWrite(UnixFileMode mode)
    {
        var path = Write("pin", "123456\n", mode);
        var e = Assert.Throws<HsmException>(() => PinSource.ReadFile(path));
        Assert.Equal(HsmErrorKind.Configuration, e.Kind);
        Assert.DoesNotContain("123456", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesMissingEmptyAndOversizedFiles()
    {
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => PinSource.ReadFile(Path.Combine(_dir, "absent"))).Kind);
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => PinSource.ReadFile(Write("empty", "\n", UnixFileMode.UserRead))).Kind);
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => PinSource.ReadFile(Write("big", new string('1', 300), UnixFileMode.UserRead))).Kind);
    }

    [Fact]
    public void CredentialNamesAreRestrictedToPlainNames() =>
        Assert.Equal(HsmErrorKind.Configuration, Assert.Throws<HsmException>(() => PinSource.ReadCredential("../etc/shadow")).Kind);

    private string Write(string name, string contents, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, contents);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
