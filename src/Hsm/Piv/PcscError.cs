namespace SshHsmCa.Hsm.Piv;

/// <summary>PC/SC return codes that callers act on, and their names for messages.</summary>
internal static class PcscError
{
    public const uint Success = 0;
    public const uint InvalidHandle = 0x80100003;
    public const uint UnknownReader = 0x80100009;
    public const uint Timeout = 0x8010000A;
    public const uint SharingViolation = 0x8010000B;
    public const uint NoSmartcard = 0x8010000C;
    public const uint ProtoMismatch = 0x8010000F;
    public const uint CommError = 0x80100013;
    public const uint NotTransacted = 0x80100016;
    public const uint ReaderUnavailable = 0x80100017;
    public const uint NoService = 0x8010001D;
    public const uint ServiceStopped = 0x8010001E;
    public const uint NoReadersAvailable = 0x8010002E;
    public const uint CommDataLost = 0x8010002F;
    public const uint UnresponsiveCard = 0x80100066;
    public const uint UnpoweredCard = 0x80100067;
    public const uint ResetCard = 0x80100068;
    public const uint RemovedCard = 0x80100069;

    public static uint Code(nint rv) => unchecked((uint)(long)rv);

    public static string Name(uint code) => code switch
    {
        InvalidHandle => "SCARD_E_INVALID_HANDLE",
        UnknownReader => "SCARD_E_UNKNOWN_READER",
        Timeout => "SCARD_E_TIMEOUT",
        SharingViolation => "SCARD_E_SHARING_VIOLATION",
        NoSmartcard => "SCARD_E_NO_SMARTCARD",
        ProtoMismatch => "SCARD_E_PROTO_MISMATCH",
        CommError => "SCARD_F_COMM_ERROR",
        NotTransacted => "SCARD_E_NOT_TRANSACTED",
        ReaderUnavailable => "SCARD_E_READER_UNAVAILABLE",
        NoService => "SCARD_E_NO_SERVICE (is pcscd running?)",
        ServiceStopped => "SCARD_E_SERVICE_STOPPED",
        NoReadersAvailable => "SCARD_E_NO_READERS_AVAILABLE",
        CommDataLost => "SCARD_E_COMM_DATA_LOST",
        UnresponsiveCard => "SCARD_W_UNRESPONSIVE_CARD",
        UnpoweredCard => "SCARD_W_UNPOWERED_CARD",
        ResetCard => "SCARD_W_RESET_CARD",
        RemovedCard => "SCARD_W_REMOVED_CARD",
        _ => $"0x{code:X8}",
    };

    /// <summary>An error that means the card (or pcscd) went away: reconnect later.</summary>
    public static bool IsCardGone(uint code) => code is NoSmartcard or RemovedCard or ResetCard or ReaderUnavailable
        or UnknownReader or InvalidHandle or CommError or CommDataLost or NoService or ServiceStopped
        or UnresponsiveCard or UnpoweredCard or NoReadersAvailable or NotTransacted;
}
