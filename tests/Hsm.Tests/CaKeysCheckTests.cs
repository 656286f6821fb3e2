namespace SshHsmCa.Hsm.Tests;

/// <summary>Issue 27: the key factory, not the daemon, knows each backend's URI and settings; every rule, named by its field.</summary>
public class CaKeysCheckTests
{
    private static string[] Problems(string? uri, (bool, int?) pkcs11, (bool, int) piv) =>
        [.. CaKeys.Check(uri, pkcs11, piv).Select(p => $"{p.Field}: {p.Problem}")];

    [Fact]
    public void GoodKeysOfEitherBackendHaveNoProblem()
    {
        Assert.Empty(Problems("pkcs11:token=ca;object=user-ca", (true, 8), (false, 30)));
        Assert.Empty(Problems("pkcs11:token=ca;object=user-ca", (false, null), (false, 30)));
        Assert.Empty(Problems("piv:serial=12345678;slot=9c", (false, null), (true, 60)));
    }

    [Theory]
    [InlineData(null, "uri: a pkcs11: or piv: URI is required")]
    [InlineData("", "uri: a pkcs11: or piv: URI is required")]
    [InlineData("file:/etc/key", "uri: a pkcs11: or piv: URI is required")]
    [InlineData("pkcs11:token=ca;object=u?pin-value=1234", "uri: a PIN in the URI is refused")]
    [InlineData("piv:slot=zz", "uri: ")]
    public void BadUrisAreNamed(string? uri, string expected) =>
        Assert.Contains(Problems(uri, (false, null), (false, 30)), p => p.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void SettingsForTheOtherBackendOrOutOfRangeAreNamed()
    {
        Assert.Equal(["piv: the key is on a PKCS#11 token (pkcs11: URI); its settings go in a 'pkcs11' section"], Problems("pkcs11:token=ca;object=u", (false, null), (true, 30)));
        Assert.Equal(["pkcs11: the key is on a YubiKey (piv: URI); its settings go in a 'piv' section"], Problems("piv:slot=9c", (true, 4), (false, 30)));
        Assert.Equal(["pkcs11.poolSize: 0 is outside 1..256"], Problems("pkcs11:token=ca;object=u", (true, 0), (false, 30)));
        Assert.Equal(["pkcs11.poolSize: 257 is outside 1..256"], Problems("pkcs11:token=ca;object=u", (true, 257), (false, 30)));
        Assert.Equal(["piv.touchTimeoutSeconds: 301 is outside 1..300"], Problems("piv:slot=9c", (false, null), (true, 301)));
    }
}
