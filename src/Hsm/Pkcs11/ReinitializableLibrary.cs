using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// A loaded module that can be finalised and initialised again through its own function list.
/// A second handle on the module (a new C_GetFunctionList) is not the same thing for every
/// module: p11-kit-client.so makes a new, separate instance per function list, so finalising and
/// initialising that one left the instance the sessions live on disconnected for good.
/// </summary>
internal sealed class ReinitializableLibrary(Pkcs11InteropFactories factories, string path, AppType appType)
    : Net.Pkcs11Interop.HighLevelAPI80.Pkcs11Library(factories, path, appType)
{
    /// <summary>C_Finalize (its result ignored: a module that lost its device may say it was not initialised), then C_Initialize.</summary>
    public CKR Reinitialize()
    {
        _pkcs11Library.C_Finalize(IntPtr.Zero);
        return _pkcs11Library.C_Initialize(new Net.Pkcs11Interop.LowLevelAPI80.CK_C_INITIALIZE_ARGS { Flags = (ulong)CKF.CKF_OS_LOCKING_OK });
    }
}
