using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>Creates <see cref="OneCallSignSession"/>s on 64-bit Unix (CK_ULONG of 8 bytes, Pkcs11Interop's API 80); Pkcs11Interop's own sessions elsewhere.</summary>
internal sealed class OneCallSignSessionFactory : ISessionFactory
{
    private readonly SessionFactory _default = new();

    public ISession Create(Pkcs11InteropFactories factories, LowLevelPkcs11Library pkcs11Library, ulong sessionId) =>
        pkcs11Library is Net.Pkcs11Interop.LowLevelAPI80.Pkcs11Library library
            ? new OneCallSignSession(factories, library, sessionId)
            : _default.Create(factories, pkcs11Library, sessionId);
}
