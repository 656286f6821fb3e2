namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>An attestation that does not prove what it must; <see cref="Reason"/> says which check failed.</summary>
public sealed class AttestationRefusedException : Exception
{
    /// <summary>Creates a refusal.</summary>
    public AttestationRefusedException(AttestationRefusal reason, string message, Exception? inner = null)
        : base(message, inner) => Reason = reason;

    /// <summary>Creates a refusal without a reason (for serializers).</summary>
    public AttestationRefusedException()
        : this(AttestationRefusal.Malformed, "the attestation was refused")
    {
    }

    /// <summary>Creates a refusal with a message.</summary>
    public AttestationRefusedException(string message)
        : this(AttestationRefusal.Malformed, message)
    {
    }

    /// <summary>Creates a refusal with a message and an inner exception.</summary>
    public AttestationRefusedException(string message, Exception innerException)
        : this(AttestationRefusal.Malformed, message, innerException)
    {
    }

    /// <summary>Which check failed.</summary>
    public AttestationRefusal Reason { get; }
}
