namespace SshHsmCa.Ssh.Tests;

public class SshReaderTests
{
    [Fact]
    public void ReadsPrimitivesBigEndian()
    {
        var bytes = Convert.FromHexString("01" + "00" + "0000002a" + "0102030405060708" + "00000003616263" + "0000000461622c63");
        var reader = new SshReader(bytes);
        Assert.Equal(1, reader.ReadByte("byte"));
        Assert.False(reader.ReadBoolean("bool"));
        Assert.Equal(42u, reader.ReadUInt32("u32"));
        Assert.Equal(0x0102030405060708ul, reader.ReadUInt64("u64"));
        Assert.Equal("abc", reader.ReadText("text"));
        Assert.Equal(["ab", "c"], SshText.SplitNameList(reader.ReadNameList("names")));
        Assert.True(reader.IsAtEnd);
        reader.EnsureAtEnd("end");
    }

    [Theory]
    [InlineData("", "")] // zero is the empty string
    [InlineData("00000001" + "7f", "7f")]
    [InlineData("00000002" + "0080", "80")] // sign byte before a set top bit
    [InlineData("00000003" + "00ff01", "ff01")]
    public void ReadPositiveMpint_AcceptsMinimalEncodings(string hex, string magnitude)
    {
        var bytes = Convert.FromHexString(hex.Length == 0 ? "00000000" : hex);
        var reader = new SshReader(bytes);
        Assert.Equal(magnitude, Convert.ToHexString(reader.ReadPositiveMpint("n")).ToLowerInvariant());
    }

    [Theory]
    [InlineData("00000001" + "80", "negative")]
    [InlineData("00000001" + "00", "redundant")]
    [InlineData("00000002" + "0001", "redundant")]
    [InlineData("00000003" + "000080", "redundant")]
    public void ReadPositiveMpint_RejectsNegativeAndRedundantEncodings(string hex, string problem)
    {
        var e = Assert.Throws<SshFormatException>(() => new SshReader(Convert.FromHexString(hex)).ReadPositiveMpint("modulus"));
        Assert.Equal("modulus", e.Field);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadPositiveMpint_RejectsOversizedNumbers()
    {
        var bytes = new byte[4 + SshLimits.MaxMpintLength + 1];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(SshLimits.MaxMpintLength + 1));
        bytes[4] = 0x01;
        Assert.Throws<SshFormatException>(() => new SshReader(bytes).ReadPositiveMpint("n"));
    }

    [Theory]
    [InlineData("000000")]
    [InlineData("00000005616263")]
    [InlineData("ffffffff61")]
    public void ReadString_RejectsLengthsBeyondTheInput(string hex)
    {
        var e = Assert.Throws<SshFormatException>(() => new SshReader(Convert.FromHexString(hex)).ReadString("key id"));
        Assert.Equal("key id", e.Field);
    }

    [Theory]
    [InlineData("0000000361006263", "NUL")]
    [InlineData("00000002c328", "UTF-8")]
    public void ReadText_RejectsNulAndInvalidUtf8(string hex, string problem)
    {
        var e = Assert.Throws<SshFormatException>(() => new SshReader(Convert.FromHexString(hex)).ReadText("principals"));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00000001" + "2c")] // ","
    [InlineData("00000003" + "612c2c")] // "a,,"
    [InlineData("00000003" + "612062")] // "a b"
    public void ReadNameList_RejectsEmptyNamesAndNonPrintables(string hex) =>
        Assert.Throws<SshFormatException>(() => new SshReader(Convert.FromHexString(hex)).ReadNameList("names"));

    [Fact]
    public void EnsureAtEnd_RejectsTrailingBytes()
    {
        var e = Assert.Throws<SshFormatException>(() =>
        {
            var reader = new SshReader([0, 0, 0, 1, 0xff]);
            reader.ReadUInt32("n");
            reader.EnsureAtEnd("certificate");
        });
        Assert.Contains("1 trailing", e.Message, StringComparison.Ordinal);
    }
}
