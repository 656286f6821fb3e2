using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

public class SshOptionSetTests
{
    [Fact]
    public void SortsBytewiseSoUppercaseComesFirst()
    {
        var set = SshOptionSet.Create(SshOptionKind.Extension, [
            SshOption.Flag("permit-user-rc"), SshOption.Flag("permit-agent-forwarding"),
            SshOption.WithValue("a@example.com", "x"), SshOption.Flag("permit-X11-forwarding"),
        ]);
        Assert.Equal(["a@example.com", "permit-X11-forwarding", "permit-agent-forwarding", "permit-user-rc"], set.Select(o => o.Name));
    }

    [Fact]
    public void RefusesDuplicateNames()
    {
        var e = Assert.Throws<ArgumentException>(() => SshOptionSet.Create(SshOptionKind.Critical, [
            SshCriticalOptions.ForceCommand("/bin/true"), SshCriticalOptions.ForceCommand("/bin/false"),
        ]));
        Assert.Contains("force-command", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesCustomNamesWithoutDomain() =>
        Assert.Throws<ArgumentException>(() => SshOptionSet.Create(SshOptionKind.Extension, [SshOption.Flag("permit-everything")]));

    [Fact]
    public void RefusesStandardFlagsWithData() =>
        Assert.Throws<ArgumentException>(() => SshOptionSet.Create(SshOptionKind.Extension, [SshOption.WithValue("permit-pty", "yes")]));

    [Fact]
    public void RefusesAnUnwrappedForceCommandValue()
    {
        // A value that is not string-wrapped makes sshd refuse the certificate (PROTOCOL.certkeys: option data is a string).
        var section = Section(("force-command", "/usr/bin/id"u8.ToArray()));
        Assert.Throws<SshFormatException>(() => SshCertificateWithCritical(section));
    }

    [Fact]
    public void ValuesAreDoubleWrappedAsInV1()
    {
        var w = new SshWriter();
        SshOptionSet.Create(SshOptionKind.Critical, [SshCriticalOptions.ForceCommand("/usr/bin/id")]).Write(w);
        Assert.Equal(
            ("00000024" + "0000000d" + Convert.ToHexString("force-command"u8) + "0000000f" + "0000000b" + Convert.ToHexString("/usr/bin/id"u8)).ToLowerInvariant(),
            Convert.ToHexString(w.WrittenSpan).ToLowerInvariant());
    }

    [Fact]
    public void ParseRefusesUnsortedAndRepeatedEntries()
    {
        var unsorted = Section(("permit-pty", []), ("permit-X11-forwarding", []));
        var e = Assert.Throws<SshFormatException>(() => SshCertificateWithExtensions(unsorted));
        Assert.Contains("out of order", e.Message, StringComparison.Ordinal);
        var repeated = Section(("permit-pty", []), ("permit-pty", []));
        Assert.Throws<SshFormatException>(() => SshCertificateWithExtensions(repeated));
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("192.168.1.1")]
    [InlineData("0.0.0.0/0")]
    [InlineData("::1/128")]
    [InlineData("2001:db8::/32")]
    [InlineData("10.0.0.0/8,192.168.1.1,::/0")]
    public void SourceAddressAcceptsWhatSshdAccepts(string list) =>
        Assert.Equal(list, SourceAddressList.Parse(list).Text);

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10.0.0.1/8", "host bits")]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.0.0.0/8,", "empty")]
    [InlineData("010.0.0.0/8", "dotted-quad")]
    [InlineData("10.0.0/8", "dotted-quad")]
    [InlineData("256.0.0.0", "dotted-quad")]
    [InlineData("example.com", "character")]
    [InlineData("10.0.0.0/8 ", "character")]
    [InlineData("fe80::1%eth0", "character")]
    [InlineData("2001:db8::1/32", "host bits")]
    [InlineData("2001:db8::/129", "prefix length")]
    public void SourceAddressRefusesWhatSshdWouldRefuse(string list, string problem)
    {
        var e = Assert.Throws<SshFormatException>(() => SourceAddressList.Parse(list));
        Assert.Equal("source-address", e.Field);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CidrContainment()
    {
        var wide = SshCidr.Parse("10.0.0.0/8");
        Assert.True(wide.Contains(SshCidr.Parse("10.1.0.0/16")));
        Assert.True(wide.Contains(SshCidr.Parse("10.1.2.3")));
        Assert.False(wide.Contains(SshCidr.Parse("11.0.0.0/16")));
        Assert.False(wide.Contains(SshCidr.Parse("0.0.0.0/0")));
        Assert.False(wide.Contains(SshCidr.Parse("::/0")));
        Assert.True(wide.Contains(System.Net.IPAddress.Parse("10.9.9.9")));
    }

    internal static byte[] Section(params (string Name, byte[] Data)[] entries)
    {
        var w = new SshWriter();
        foreach (var (name, data) in entries)
        {
            w.WriteString(name);
            w.WriteString(data);
        }

        return w.ToArray();
    }

    private static SshCertificate SshCertificateWithCritical(byte[] section) => CertificateSurgery.WithSections(section, []);

    private static SshCertificate SshCertificateWithExtensions(byte[] section) => CertificateSurgery.WithSections([], section);
}
