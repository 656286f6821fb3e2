using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.Hsm.Tests;

public class Pkcs11KeyUriTests
{
    [Fact]
    public void ParsesTokenObjectIdAndModulePath()
    {
        var uri = Pkcs11KeyUri.Parse("pkcs11:token=CA%20token;object=user-ca;id=%01%a0;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so");
        Assert.Equal("CA token", uri.TokenLabel);
        Assert.Equal("user-ca", uri.ObjectLabel);
        Assert.Equal(new byte[] { 0x01, 0xa0 }, uri.ObjectId);
        Assert.Equal("/usr/lib/softhsm/libsofthsm2.so", uri.ModulePath);
        Assert.Equal("pkcs11 token=CA token object=user-ca id=01a0", uri.Describe());
    }

    [Fact]
    public void AcceptsSerialInsteadOfLabel()
    {
        var uri = Pkcs11KeyUri.Parse("pkcs11:serial=0123456789abcdef;id=%03");
        Assert.Equal("0123456789abcdef", uri.TokenSerial);
        Assert.Null(uri.TokenLabel);
        Assert.Null(uri.ModulePath);
    }

    [Theory]
    [InlineData("token=a;object=b", "must start with")]
    [InlineData("pkcs11:object=b", "token=")]
    [InlineData("pkcs11:token=a", "object=")]
    [InlineData("pkcs11:token=a;object=b;object=c", "twice")]
    [InlineData("pkcs11:token=a;objekt=b", "unknown path attribute 'objekt'")]
    [InlineData("pkcs11:token=a;object=b;type=public", "private key")]
    [InlineData("pkcs11:token=a;object=b;id=%zz", "percent-encoding")]
    [InlineData("pkcs11:token=a;object=b?module-name=softhsm2", "not supported")]
    [InlineData("pkcs11:token=a;object=b?pin-source=file:/etc/pin", "not supported")]
    [InlineData("pkcs11:token=a;object=b;=x", "name=value")]
    public void RefusesWhatItCannotUseSafely(string text, string problem)
    {
        var e = Assert.Throws<HsmException>(() => Pkcs11KeyUri.Parse(text));
        Assert.Equal(HsmErrorKind.Configuration, e.Kind);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesAPinInTheUriWithoutEchoingIt()
    {
        var e = Assert.Throws<HsmException>(() => Pkcs11KeyUri.Parse("pkcs11:token=a;object=b?pin-value=987654"));
        Assert.Equal(HsmErrorKind.Configuration, e.Kind);
        Assert.DoesNotContain("987654", e.Message, StringComparison.Ordinal);
    }
}
