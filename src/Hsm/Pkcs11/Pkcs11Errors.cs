using Net.Pkcs11Interop.Common;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>Maps PKCS#11 return values to error kinds (PKCS#11 v2.40 base specification §5.1, return values: after these, sessions, login or handles cannot be trusted).</summary>
internal static class Pkcs11Errors
{
    /// <summary>Return values after which sessions, login or handles cannot be trusted: recover.</summary>
    public static bool IsSessionFault(CKR rv) => rv is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED
        or CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_USER_NOT_LOGGED_IN
        or CKR.CKR_OPERATION_ACTIVE or CKR.CKR_DEVICE_ERROR or CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_MEMORY
        or CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_TOKEN_NOT_RECOGNIZED or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_SESSION_COUNT or CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED;

    public static HsmException ToHsmException(Pkcs11Exception e, string what) => e.RV switch
    {
        CKR.CKR_PIN_INCORRECT => new HsmException(HsmErrorKind.PinIncorrect, $"{what}: the token refused the PIN (CKR_PIN_INCORRECT); check the PIN source", e),
        CKR.CKR_PIN_LOCKED => new HsmException(HsmErrorKind.PinLocked, $"{what}: the PIN is locked (CKR_PIN_LOCKED); unblock it with the SO PIN", e),
        CKR.CKR_PIN_EXPIRED => new HsmException(HsmErrorKind.PinLocked, $"{what}: the PIN has expired (CKR_PIN_EXPIRED); set a new one", e),
        CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_INVALID => new HsmException(HsmErrorKind.PinIncorrect, $"{what}: the PIN has an invalid length or characters ({e.RV})", e),
        _ => new HsmException(HsmErrorKind.DeviceUnavailable, $"{what}: {e.RV}", e),
    };
}
