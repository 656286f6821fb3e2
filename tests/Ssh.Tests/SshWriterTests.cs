namespace SshHsmCa.Ssh.Tests;

public class SshWriterTests
{
    [Theory]
    [InlineData("", "00000000")]
    [InlineData("0000", "00000000")]
    [InlineData("7f", "000000017f")]
    [InlineData("80", "000000020080")]
    [InlineData("000080", "000000020080")]
    [InlineData("00000102", "000000020102")]
    [InlineData("ffff", "0000000300ffff")]
    public void WriteMpint_IsAlwaysMinimal(string magnitude, string expected)
    {
        var w = new SshWriter();
        w.WriteMpint(Convert.FromHexString(magnitude));
        Assert.Equal(expected, Convert.ToHexString(w.WrittenSpan).ToLowerInvariant());
    }

    [Fact]
    public void WrittenMpintsReadBackToTheSameMagnitude()
    {
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var value = new byte[random.Next(0, 70)];
            random.NextBytes(value);
            var w = new SshWriter();
            w.WriteMpint(value);
            var reader = new SshReader(w.WrittenSpan);
            Assert.True(value.AsSpan().TrimStart((byte)0).SequenceEqual(reader.ReadPositiveMpint("n")));
            reader.EnsureAtEnd("n");
        }
    }

    [Fact]
    public void PushString_PatchesNestedLengths()
    {
        var w = new SshWriter(0);
        using (w.PushString())
        {
            w.WriteString("a");
            using (w.PushString())
            {
                w.WriteUInt32(7);
            }
        }

        Assert.Equal("0000000d" + "0000000161" + "00000004" + "00000007", Convert.ToHexString(w.WrittenSpan).ToLowerInvariant());
    }

    [Fact]
    public void WritesPrimitivesThatTheReaderReadsBack()
    {
        var w = new SshWriter(1);
        w.WriteByte(9);
        w.WriteBoolean(true);
        w.WriteUInt32(uint.MaxValue);
        w.WriteUInt64(ulong.MaxValue - 1);
        w.WriteString("héllo");
        w.WriteNameList(["ssh-ed25519", "rsa-sha2-512"]);
        var r = new SshReader(w.WrittenSpan);
        Assert.Equal(9, r.ReadByte("b"));
        Assert.True(r.ReadBoolean("t"));
        Assert.Equal(uint.MaxValue, r.ReadUInt32("u"));
        Assert.Equal(ulong.MaxValue - 1, r.ReadUInt64("u"));
        Assert.Equal("héllo", r.ReadText("s"));
        Assert.Equal(["ssh-ed25519", "rsa-sha2-512"], SshText.SplitNameList(r.ReadNameList("n")));
        r.EnsureAtEnd("end");
    }

    [Fact]
    public void WriteNameList_RefusesCommasInNames() =>
        Assert.Throws<ArgumentException>(() => new SshWriter().WriteNameList(["a,b"]));
}
