using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// One loaded PKCS#11 module per path per process. Disposing a library calls C_Finalize for every
/// user of the module in the process (PKCS#11 v2.40 §5.4: C_Finalize is per process), so modules are never unloaded here.
/// </summary>
public static class Pkcs11Library
{
    private static readonly ConcurrentDictionary<string, Lazy<Pkcs11Module>> Modules = new(StringComparer.Ordinal);
    private static int _resolverInstalled;

    /// <summary>The factories shared by every module: modules that re-initialise through their own function list (<see cref="ReinitializableLibrary"/>), sessions that sign in two calls (<see cref="OneCallSignSession"/>).</summary>
    public static Pkcs11InteropFactories Factories { get; } = new(
        new ReinitializableLibraryFactory(),
        new Net.Pkcs11Interop.HighLevelAPI.Factories.SlotFactory(),
        new OneCallSignSessionFactory(),
        new Net.Pkcs11Interop.HighLevelAPI.Factories.ObjectAttributeFactory(),
        new Net.Pkcs11Interop.HighLevelAPI.Factories.ObjectHandleFactory(),
        new Net.Pkcs11Interop.HighLevelAPI.Factories.MechanismFactory(),
        new Net.Pkcs11Interop.HighLevelAPI.Factories.MechanismParamsFactory());

    /// <summary>Loads (once) and returns the module at <paramref name="modulePath"/>.</summary>
    /// <exception cref="HsmException">Kind Configuration when the module cannot be loaded.</exception>
    public static IPkcs11Library Get(string modulePath) => Module(modulePath).Library;

    /// <summary>Loads (once) the module at <paramref name="modulePath"/>, with its recovery state.</summary>
    /// <exception cref="HsmException">Kind Configuration when the module cannot be loaded.</exception>
    public static Pkcs11Module Module(string modulePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modulePath);
        InstallLibdlResolver();
        var lazy = Modules.GetOrAdd(Path.GetFullPath(modulePath), path => new Lazy<Pkcs11Module>(() => new Pkcs11Module(path, Load(path))));
        try
        {
            return lazy.Value;
        }
        catch (HsmException)
        {
            Modules.TryRemove(Path.GetFullPath(modulePath), out _);
            throw;
        }
    }

    private static IPkcs11Library Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PKCS#11 module {path} does not exist");
        }

        try
        {
            return Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
        }
        catch (Exception e) when (e is Pkcs11Exception or UnmanagedException or DllNotFoundException)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"PKCS#11 module {path} could not be loaded: {e.Message}", e);
        }
    }

    /// <summary>
    /// Pkcs11Interop 5.3.0 P/Invokes dlopen from "libdl"; Debian 12 has only libdl.so.2
    /// (Pkcs11Interop issue #239).
    /// </summary>
    private static void InstallLibdlResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 1)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);

        static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
            name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", assembly, searchPath, out var handle) ? handle : IntPtr.Zero;
    }
}
