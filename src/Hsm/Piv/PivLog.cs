using Microsoft.Extensions.Logging;

namespace SshHsmCa.Hsm.Piv;

internal static partial class PivLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "{Key}: touch the YubiKey: a signature is waiting for a touch")]
    public static partial void TouchRequired(ILogger logger, string key);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "{Key}: the card went away: {Reason}")]
    public static partial void CardGone(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "{Key}: the card is back and holds the same key")]
    public static partial void Reconnected(ILogger logger, string key);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Critical, Message = "{Key}: the card returned a bad signature ({Verdict})")]
    public static partial void BadSignature(ILogger logger, string key, Ssh.Signatures.SignatureVerification verdict);
}
