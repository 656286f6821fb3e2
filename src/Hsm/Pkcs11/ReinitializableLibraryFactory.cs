using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>Loads modules as <see cref="ReinitializableLibrary"/> on 64-bit Unix (Pkcs11Interop's API 80); as Pkcs11Interop does elsewhere.</summary>
internal sealed class ReinitializableLibraryFactory : IPkcs11LibraryFactory
{
    private readonly Pkcs11LibraryFactory _default = new();

    private static bool Api80 => Platform.NativeULongSize == 8 && Platform.StructPackingSize == 0;

    public IPkcs11Library LoadPkcs11Library(Pkcs11InteropFactories factories, string libraryPath, AppType appType) =>
        Api80 ? new ReinitializableLibrary(factories, libraryPath, appType) : _default.LoadPkcs11Library(factories, libraryPath, appType);

    public IPkcs11Library LoadPkcs11Library(Pkcs11InteropFactories factories, string libraryPath, AppType appType, InitType initType) =>
        Api80 && initType == InitType.WithFunctionList
            ? new ReinitializableLibrary(factories, libraryPath, appType)
            : _default.LoadPkcs11Library(factories, libraryPath, appType, initType);
}
