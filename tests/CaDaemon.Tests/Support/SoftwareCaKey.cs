using System.Security.Cryptography;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Tests.Support;

/// <summary>
/// A P-256 key in memory standing in for the hardware in the in-process tests of the code around
/// it (the pipeline, the services, the status table); the backends are tested on SoftHSM2 and the
/// virtual YubiKey in Interop.Tests. <see cref="FailWith"/> makes the next signatures fail as a
/// device would.
/// </summary>
internal sealed class SoftwareCaKey : ICaKey
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public SoftwareCaKey(string name)
    {
        Description = "software " + name;
        PublicKey = EcdsaPublicKey.FromParameters(_key.ExportParameters(false));
    }

    public SshPublicKey PublicKey { get; }

    public string Description { get; }

    public bool IsAvailable => FailWith is not (HsmErrorKind.TokenNotFound or HsmErrorKind.DeviceUnavailable);

    /// <summary>When set, every signature fails with this kind.</summary>
    public HsmErrorKind? FailWith { get; set; }

    public int Signatures { get; private set; }

    /// <summary>When set, every signature announces a wait for a touch, as a YubiKey slot with a touch policy does.</summary>
    public bool PromptTouch { get; set; }

    public Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (FailWith is { } kind)
        {
            throw new HsmException(kind, $"software key: {kind}");
        }

        Signatures++;
        if (PromptTouch)
        {
            TouchPrompts.Capture()?.Invoke($"touch the {Description}");
        }

        var rs = _key.SignData(toBeSigned.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Task.FromResult(SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP256, rs));
    }

    /// <summary>An SSHSIG (PROTOCOL.sshsig) by this key over <paramref name="message"/>, armored as ssh-keygen -Y sign writes it.</summary>
    public string SignSshSig(string ns, ReadOnlySpan<byte> message)
    {
        var signed = SshSig.SignedData(ns, "sha512", message);
        var rs = _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return SshSig.Create(PublicKey, ns, "sha512", SshSignatureEncoder.FromEcdsaFixed(EcCurve.NistP256, rs), message).ToArmored();
    }

    public ValueTask DisposeAsync()
    {
        _key.Dispose();
        return ValueTask.CompletedTask;
    }
}
