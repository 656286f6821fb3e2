namespace SshHsmCa.CaDaemon.Failures;

/// <summary>A refusal with its sentence.</summary>
internal sealed class RefusedException(Refusal refusal, string message) : CaFailure(message)
{
    /// <summary>Which refusal.</summary>
    public Refusal Refusal { get; } = refusal;
}
