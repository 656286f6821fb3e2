using System.Text;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Interop.Tests;

/// <summary>The PIV backend against the virtual YubiKey through the real pcscd and libpcsclite.</summary>
[Collection("pcsc")]
public sealed class PivTests(VirtualCard card)
{
    private static readonly byte[] Pin = Encoding.ASCII.GetBytes("123456");

    private static PivCaKeyOptions At(byte slot) => new() { Serial = VirtualCard.Serial, Slot = slot, TouchPromptDelay = TimeSpan.FromMilliseconds(200), SignTimeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData(PivAlgorithm.EccP256, 0x9C)]
    [InlineData(PivAlgorithm.EccP384, 0x9D)]
    [InlineData(PivAlgorithm.Ed25519, 0x9E)]
    [InlineData(PivAlgorithm.Rsa2048, 0x9A)]
    public async Task AKeyGeneratedInASlotSignsAndTheSignatureVerifies(PivAlgorithm algorithm, byte slot)
    {
        card.Factory();
        var made = PivKeyCeremony.Generate(At(slot), algorithm, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
        Assert.Equal(VirtualCard.Serial, made.Serial);
        Assert.NotEmpty(made.Attestation);

        await using var key = PivCaKey.Open(At(slot), Pin);
        Assert.Equal(made.PublicKey, key.PublicKey);
        Assert.Equal(PivKeyOrigin.Generated, key.Metadata.Origin);
        var data = Encoding.UTF8.GetBytes($"to be signed by {algorithm}");
        var before = card.Key.Signatures;
        var signature = await key.SignAsync(data);
        Assert.Equal(before + 1, card.Key.Signatures);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(key.PublicKey, data, signature));
        Assert.NotEqual(SignatureVerification.Valid, SshSignatureVerifier.Verify(key.PublicKey, Encoding.UTF8.GetBytes("something else"), signature));
    }
}
