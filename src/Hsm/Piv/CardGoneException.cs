namespace SshHsmCa.Hsm.Piv;

/// <summary>The PC/SC code behind a device failure (inner exception of an <see cref="HsmException"/>).</summary>
public sealed class CardGoneException : Exception
{
    /// <summary>Creates the exception for a PC/SC return code.</summary>
    public CardGoneException(uint code)
        : base(PcscError.Name(code))
    {
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public CardGoneException()
        : this(PcscError.NoSmartcard)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CardGoneException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CardGoneException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The PC/SC return code.</summary>
    public uint Code { get; }
}
