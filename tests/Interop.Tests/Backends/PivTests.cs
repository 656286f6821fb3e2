using System.Diagnostics;
using System.Text;
using SshHsmCa.Hsm;
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

    private static PivKeyCeremony.Result Make(byte slot, PivPinPolicy pin, PivTouchPolicy touch, PivAlgorithm algorithm = PivAlgorithm.EccP256) =>
        PivKeyCeremony.Generate(At(slot), algorithm, pin, touch, PivManagementKey.DefaultKey);

    [Fact]
    public async Task TouchAlwaysAnnouncesOnePromptPerSignatureWhenTheTouchIsLate()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Once, PivTouchPolicy.Always);
        await using var key = PivCaKey.Open(At(0x9C), Pin);
        card.Key.TouchDelay = TimeSpan.FromMilliseconds(600);
        var prompts = 0;
        var waitsBefore = card.Key.TouchWaits;
        using (TouchPrompts.Observe(_ => Interlocked.Increment(ref prompts)))
        {
            for (var i = 0; i < 3; i++)
            {
                var started = Stopwatch.StartNew();
                await key.SignAsync(Encoding.UTF8.GetBytes($"host {i}"));
                Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(550), $"the signature waited for the touch ({started.ElapsedMilliseconds} ms)");
            }
        }

        Assert.Equal(3, prompts);
        Assert.Equal(waitsBefore + 3, card.Key.TouchWaits);
    }

    [Fact]
    public async Task AQuickTouchOrACachedTouchAnnouncesNothingExtra()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Once, PivTouchPolicy.Cached);
        await using var key = PivCaKey.Open(At(0x9C), Pin);
        card.Key.TouchDelay = TimeSpan.FromMilliseconds(500);
        var prompts = 0;
        var waitsBefore = card.Key.TouchWaits;
        using (TouchPrompts.Observe(_ => Interlocked.Increment(ref prompts)))
        {
            for (var i = 0; i < 5; i++)
            {
                await key.SignAsync(Encoding.UTF8.GetBytes($"host {i}"));
            }
        }

        // One touch covers the batch inside the card's cache window.
        Assert.Equal(1, prompts);
        Assert.Equal(waitsBefore + 1, card.Key.TouchWaits);
    }

    [Fact]
    public async Task AMissingTouchIsATouchTimeoutAndTheKeyWorksAfterwards()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Once, PivTouchPolicy.Always);
        var options = new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9C, SignTimeout = TimeSpan.FromSeconds(4) };
        await using var key = PivCaKey.Open(options, Pin);
        card.Key.TouchMode = VirtualCards.TouchMode.Never;
        card.Key.TouchTimeout = TimeSpan.FromSeconds(2);
        var e = await Assert.ThrowsAsync<HsmException>(() => key.SignAsync("no touch"u8.ToArray()));
        Assert.Equal(HsmErrorKind.TouchTimeout, e.Kind);

        // Our own deadline first (the card would wait longer): the same kind, and the card stays usable.
        card.Key.TouchTimeout = TimeSpan.FromSeconds(6);
        e = await Assert.ThrowsAsync<HsmException>(() => key.SignAsync("no touch either"u8.ToArray()));
        Assert.Equal(HsmErrorKind.TouchTimeout, e.Kind);
        card.Key.Touch(); // releases the card call still waiting
        card.Key.TouchMode = VirtualCards.TouchMode.Auto;
        await key.SignAsync("touched"u8.ToArray());
    }

    [Fact]
    public async Task AWrongPinReportsTriesLeftAndIsNotTriedAgain()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Always, PivTouchPolicy.Never);
        var e = Assert.Throws<HsmException>(() => PivCaKey.Open(At(0x9C), "654321"u8));
        Assert.Equal(HsmErrorKind.PinIncorrect, e.Kind);
        Assert.Contains("2 tries left", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("654321", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, card.Key.PinRetries);

        // The right PIN resets the counter; with policy "always" every signature verifies it.
        await using var key = PivCaKey.Open(At(0x9C), Pin);
        Assert.Equal(3, card.Key.PinRetries);
        await key.SignAsync("one"u8.ToArray());
        await key.SignAsync("two"u8.ToArray());

        // Three wrong PINs block it: the third says so.
        for (var left = 2; left >= 0; left--)
        {
            e = Assert.Throws<HsmException>(() => PivCaKey.Open(At(0x9C), "000000"u8));
            Assert.Equal(left == 0 ? HsmErrorKind.PinLocked : HsmErrorKind.PinIncorrect, e.Kind);
        }

        e = Assert.Throws<HsmException>(() => PivCaKey.Open(At(0x9C), Pin));
        Assert.Equal(HsmErrorKind.PinLocked, e.Kind);
        card.Factory();
    }

    [Fact]
    public async Task APulledCardFailsTheSignatureInFlightAndTheKeyReconnectsWhenItIsBack()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Once, PivTouchPolicy.Always);
        await using var key = PivCaKey.Open(At(0x9C), Pin);
        card.Key.TouchMode = VirtualCards.TouchMode.Manual;
        card.Key.WaitingForTouch = () => ThreadPool.QueueUserWorkItem(_ => card.Remove());
        try
        {
            var e = await Assert.ThrowsAsync<HsmException>(() => key.SignAsync("pulled"u8.ToArray()));
            Assert.True(e.Kind == HsmErrorKind.DeviceUnavailable, e.ToString());
            Assert.False(key.IsAvailable, e.ToString());
        }
        finally
        {
            card.Key.WaitingForTouch = null;
        }

        Assert.False(key.IsAvailable);
        var gone = await Assert.ThrowsAsync<HsmException>(() => key.SignAsync("still out"u8.ToArray()));
        Assert.Equal(HsmErrorKind.DeviceUnavailable, gone.Kind);

        card.Insert();
        card.Key.TouchMode = VirtualCards.TouchMode.Auto;
        var data = "back"u8.ToArray();
        var signature = await key.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(key.PublicKey, data, signature));
        Assert.True(key.IsAvailable);
        Assert.True(key.Reconnects >= 1);
    }

    [Fact]
    public void AnotherKeyInTheSlotOrAnImportedKeyStopsTheKeyFromOpening()
    {
        card.Factory();
        var first = Make(0x9D, PivPinPolicy.Once, PivTouchPolicy.Never);
        Make(0x9D, PivPinPolicy.Once, PivTouchPolicy.Never); // replaced
        var options = new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9D, ExpectedPublicKey = first.PublicKey.GetSha256Fingerprint() };
        var e = Assert.Throws<HsmException>(() => PivCaKey.Open(options, Pin));
        Assert.Equal(HsmErrorKind.KeyMismatch, e.Kind);

        card.Key.PutKey(0x82, VirtualCards.SlotKey.ImportEc(0x11, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), 2, 1));
        e = Assert.Throws<HsmException>(() => PivCaKey.Open(At(0x82), Pin));
        Assert.Equal(HsmErrorKind.KeyMismatch, e.Kind);
        Assert.Contains("imported", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<HsmException>(() => PivCaKey.Open(new PivCaKeyOptions { Serial = 99, Slot = 0x9C }, Pin));
        Assert.Equal(HsmErrorKind.TokenNotFound, e.Kind);
    }

    [Fact]
    public async Task AnotherClientSelectingAnotherApplicationBetweenSignaturesIsHandled()
    {
        card.Factory();
        Make(0x9C, PivPinPolicy.Once, PivTouchPolicy.Never);
        await using var key = PivCaKey.Open(At(0x9C), Pin);
        await key.SignAsync("first"u8.ToArray());

        // As yubikey-manager would: select the OTP application on the shared card.
        using (var other = PcscCard.Connect(Pcscd.ReaderName))
        {
            Assert.Equal(0x6A82, other.Send(0x00, 0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01]).StatusWord);
            Assert.Equal(0x6D00, other.Send(0x00, 0xFD, 0x00, 0x00).StatusWord); // PIV is not selected now
        }

        var data = "after another client"u8.ToArray();
        var signature = await key.SignAsync(data);
        Assert.Equal(SignatureVerification.Valid, SshSignatureVerifier.Verify(key.PublicKey, data, signature));
    }
}
