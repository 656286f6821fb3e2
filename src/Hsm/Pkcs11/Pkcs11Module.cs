using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// One loaded PKCS#11 module and the CA keys that use it. Recovery of any of those keys runs
/// under <see cref="RecoveryLock"/>, so that the heaviest step, re-initialising the module
/// (<c>C_Finalize</c> + <c>C_Initialize</c>, which ends every session of every key on it), runs
/// only when no key of the module is signing or rebuilding.
/// </summary>
public sealed class Pkcs11Module
{
    private readonly List<WeakReference<Pkcs11CaKey>> _keys = [];

    internal Pkcs11Module(string path, IPkcs11Library library)
    {
        Path = path;
        Library = library;
    }

    /// <summary>The module file.</summary>
    public string Path { get; }

    /// <summary>The module as Pkcs11Interop's high-level API sees it (never disposed: that would unload it).</summary>
    public IPkcs11Library Library { get; }

    /// <summary>How many times the module has been re-initialised in this process.</summary>
    public int Reinitializations { get; private set; }

    /// <summary>Held by whoever rebuilds a key of this module.</summary>
    internal SemaphoreSlim RecoveryLock { get; } = new(1, 1);

    internal void Register(Pkcs11CaKey key)
    {
        lock (_keys)
        {
            _keys.RemoveAll(k => !k.TryGetTarget(out _));
            _keys.Add(new WeakReference<Pkcs11CaKey>(key));
        }
    }

    internal void Unregister(Pkcs11CaKey key)
    {
        lock (_keys)
        {
            _keys.RemoveAll(k => !k.TryGetTarget(out var target) || ReferenceEquals(target, key));
        }
    }

    internal List<Pkcs11CaKey> Keys()
    {
        lock (_keys)
        {
            return [.. _keys.Select(k => k.TryGetTarget(out var key) ? key : null).OfType<Pkcs11CaKey>()];
        }
    }

    /// <summary>
    /// <c>C_Finalize</c> then <c>C_Initialize</c>: the module forgets every session and login and
    /// looks for its tokens again. Many modules (SoftHSM2 among them) read their token list only
    /// in <c>C_Initialize</c>, so a token that went away and came back is invisible until then.
    /// Call with <see cref="RecoveryLock"/> held and every key's sessions drained. The calls go
    /// through the loaded library's own function list (<see cref="ReinitializableLibrary"/>): a
    /// second handle would be, for some modules, a second instance (the high-level object has no
    /// re-initialise, and disposing it would dlclose the module under other users).
    /// </summary>
    internal void Reinitialize()
    {
        if (Library is not ReinitializableLibrary library)
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"PKCS#11 module {Path} can be re-initialised only on 64-bit Unix; restart the daemon");
        }

        try
        {
            Check(library.Reinitialize());
            Reinitializations++;
        }
        catch (Exception e) when (e is UnmanagedException or DllNotFoundException)
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"PKCS#11 module {Path} could not be re-initialised: {e.Message}", e);
        }
    }

    private void Check(CKR rv)
    {
        if (rv is not (CKR.CKR_OK or CKR.CKR_CRYPTOKI_ALREADY_INITIALIZED))
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"PKCS#11 module {Path}: C_Initialize returned {rv}");
        }
    }
}
