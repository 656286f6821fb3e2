using System.Text;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

/// <summary>SSHSIG as ssh-keygen -Y sign writes it, for every key type a host may have.</summary>
public sealed class SshSigTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Theory]
    [InlineData("ed25519", null)]
    [InlineData("ecdsa", "256")]
    [InlineData("ecdsa", "384")]
    [InlineData("rsa", "3072")]
    public void SignaturesBySshKeygenVerifyOnlyForTheirKeyNamespaceAndMessage(string type, string? bits)
    {
        var key = Path.Combine(_dir.Path, $"key-{type}{bits}");
        var generate = bits is null ? SshKeygen.Run("-q", "-t", type, "-N", "", "-f", key) : SshKeygen.Run("-q", "-t", type, "-b", bits, "-N", "", "-f", key);
        Assert.Equal(0, generate.ExitCode);
        var message = Encoding.UTF8.GetBytes("ssh-hsm-ca host renewal v1\nchallenge abc\n");
        var file = Path.Combine(_dir.Path, $"message-{type}{bits}");
        File.WriteAllBytes(file, message);
        var sign = SshKeygen.Run("-q", "-Y", "sign", "-n", "renew@ssh-hsm-ca", "-f", key, file);
        Assert.True(sign.ExitCode == 0, sign.Output);

        var signature = SshSig.ParseArmored(File.ReadAllText(file + ".sig"));
        var publicKey = SshPublicKey.ParseLine(File.ReadAllText(key + ".pub"));
        Assert.Equal(publicKey, signature.PublicKey);
        Assert.True(signature.Verifies(publicKey, "renew@ssh-hsm-ca", message));
        Assert.False(signature.Verifies(publicKey, "file", message));
        message[^2] ^= 1;
        Assert.False(signature.Verifies(publicKey, "renew@ssh-hsm-ca", message));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAg==\n-----END SSH SIGNATURE-----")]
    [InlineData("-----BEGIN PGP SIGNATURE-----\nU1NIU0lH\n-----END PGP SIGNATURE-----")]
    public void MalformedSignaturesAreFormatErrors(string text) => Assert.Throws<SshFormatException>(() => SshSig.ParseArmored(text));

    public void Dispose() => _dir.Dispose();
}
