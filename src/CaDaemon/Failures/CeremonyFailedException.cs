using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Failures;

/// <summary>The key ceremony failed on the device.</summary>
internal sealed class CeremonyFailedException(HsmException inner) : CaFailure("key ceremony: " + inner?.Message, inner)
{
    /// <summary>The device failure.</summary>
    public HsmException Failure { get; } = inner ?? throw new ArgumentNullException(nameof(inner));
}
