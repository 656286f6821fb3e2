namespace SshHsmCa.Hsm;

/// <summary>A CA key backend failure with a <see cref="HsmErrorKind"/>. Messages never contain a PIN.</summary>
public sealed class HsmException : Exception
{
    /// <summary>Creates an exception of a kind.</summary>
    public HsmException(HsmErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Creates a device-unavailable exception.</summary>
    public HsmException()
        : this(HsmErrorKind.DeviceUnavailable, "device unavailable")
    {
    }

    /// <summary>Creates a device-unavailable exception with a message.</summary>
    public HsmException(string message)
        : this(HsmErrorKind.DeviceUnavailable, message)
    {
    }

    /// <summary>Creates a device-unavailable exception with a message and cause.</summary>
    public HsmException(string message, Exception innerException)
        : this(HsmErrorKind.DeviceUnavailable, message, innerException)
    {
    }

    /// <summary>What went wrong.</summary>
    public HsmErrorKind Kind { get; }
}
