using System.Text;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests;

/// <summary>SSHSIG as ssh-keygen -Y sign writes it, for every key type a host may have.</summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
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
    [InlineData("ed25519")]
    [InlineData("p256")]
    [InlineData("p384")]
    [InlineData("rsa3072-sha512")]
    public void SignaturesWeWriteVerifyWithSshKeygenAndAreRefusedForAnotherMessage(string caType)
    {
        using var ca = TestCaKey.Create(caType);
        var message = Encoding.UTF8.GetBytes("a KRL's bytes\0\x01\x02");
        var signature = SshSig.Create(ca.PublicKey, "krl@ssh-hsm-ca", "sha512", ca.Sign(SshSig.SignedData("krl@ssh-hsm-ca", "sha512", message)), message);
        Assert.Throws<ArgumentException>(() => SshSig.Create(ca.PublicKey, "krl@ssh-hsm-ca", "sha512", signature.Signature, "another"u8));
        var file = Path.Combine(_dir.Path, "krl-" + caType);
        File.WriteAllBytes(file, message);
        File.WriteAllText(file + ".sig", signature.ToArmored());
        File.WriteAllText(file + ".signers", "ca@example " + ca.PublicKey.ToOpenSshLine() + "\n");
        var verify = ProcessRunner.Run(SshKeygen.Path, ["-Y", "verify", "-f", file + ".signers", "-I", "ca@example", "-n", "krl@ssh-hsm-ca", "-s", file + ".sig"], stdin: message);
        Assert.True(verify.ExitCode == 0, verify.Output);
        var other = ProcessRunner.Run(SshKeygen.Path, ["-Y", "verify", "-f", file + ".signers", "-I", "ca@example", "-n", "krl@ssh-hsm-ca", "-s", file + ".sig"], stdin: [.. message, 1]);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Equal(signature.ToBlob(), SshSig.ParseArmored(signature.ToArmored()).ToBlob());
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
