using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// A session that signs with two PKCS#11 calls instead of three. Pkcs11Interop's
/// <c>ISession.Sign</c> asks the module for the signature's length first (C_Sign with no
/// buffer, PKCS#11 v2.40 §5.2), which for a network HSM is one more round trip per certificate.
/// The backend knows the length (the key's), so it passes a buffer of that size at once; a module
/// that still answers CKR_BUFFER_TOO_SMALL keeps the operation active (§5.2) and is asked again.
/// </summary>
internal sealed class OneCallSignSession(Pkcs11InteropFactories factories, Net.Pkcs11Interop.LowLevelAPI80.Pkcs11Library library, ulong sessionId)
    : Net.Pkcs11Interop.HighLevelAPI80.Session(factories, library, sessionId)
{
    /// <summary>C_SignInit, then C_Sign into a buffer of <paramref name="length"/> bytes.</summary>
    public byte[] Sign(IMechanism mechanism, IObjectHandle key, byte[] data, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var ck = (Net.Pkcs11Interop.LowLevelAPI80.CK_MECHANISM)mechanism.ToMarshalableStructure();
        var rv = _pkcs11Library.C_SignInit(_sessionId, ref ck, key.ObjectId);
        if (rv != CKR.CKR_OK)
        {
            throw new Pkcs11Exception("C_SignInit", rv);
        }

        var signature = new byte[length];
        var written = (ulong)length;
        rv = _pkcs11Library.C_Sign(_sessionId, data, (ulong)data.Length, signature, ref written);
        if (rv == CKR.CKR_BUFFER_TOO_SMALL && written is > 0 and <= 64 * 1024)
        {
            signature = new byte[written];
            rv = _pkcs11Library.C_Sign(_sessionId, data, (ulong)data.Length, signature, ref written);
        }

        if (rv != CKR.CKR_OK)
        {
            throw new Pkcs11Exception("C_Sign", rv);
        }

        return written == (ulong)signature.Length ? signature : signature[..(int)written];
    }
}
