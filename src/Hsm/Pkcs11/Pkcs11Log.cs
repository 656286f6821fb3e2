using Microsoft.Extensions.Logging;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>Log events of the PKCS#11 backend (fixed event ids; no PINs, no key material).</summary>
internal static partial class Pkcs11Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "CA key {Key} ready: {Fingerprint} ({Algorithm}), {Sessions} sessions")]
    public static partial void Ready(ILogger logger, string key, string fingerprint, string algorithm, int sessions);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "CA key {Key}: the module {Kind} ({CallMicros:0} µs per call when opened); {Sessions} sessions")]
    public static partial void ModuleKind(ILogger logger, string key, string kind, double callMicros, int sessions);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "CA key {Key}: device fault {Fault}; sessions will be reopened")]
    public static partial void Fault(ILogger logger, string key, string fault);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "CA key {Key}: recovery failed ({Kind}): {Reason}")]
    public static partial void RecoveryFailed(ILogger logger, string key, HsmErrorKind kind, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "CA key {Key}: the device returned a signature that does not verify ({Verdict}); not released")]
    public static partial void BadSignature(ILogger logger, string key, string verdict);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "CA key {Key}: no signature within {TimeoutMs} ms (waiting for a session, or the device is slow)")]
    public static partial void Timeout(ILogger logger, string key, double timeoutMs);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "CA key {Key}: reopening sessions failed ({Reason}); re-initialising the PKCS#11 module {Module} (every key on it reconnects)")]
    public static partial void Reinitializing(ILogger logger, string key, string module, string reason);
}
