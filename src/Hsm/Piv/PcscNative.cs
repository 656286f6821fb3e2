using System.Runtime.InteropServices;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// libpcsclite (Linux). pcsc-lite declares DWORD, LONG, SCARDCONTEXT and SCARDHANDLE as
/// <c>unsigned long</c>/<c>long</c>: 64-bit on x86-64, hence <c>nuint</c>/<c>nint</c> (pcsc-lite's pcsclite.h: DWORD and LONG are unsigned long and long).
/// </summary>
internal static partial class PcscNative
{
    private const string Library = "libpcsclite.so.1";

    public const uint ScopeSystem = 2;
    public const uint ShareShared = 2;
    public const uint ProtocolT0 = 1;
    public const uint ProtocolT1 = 2;
    public const uint LeaveCard = 0;
    public const uint ResetCard = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoRequest
    {
        public nuint Protocol;
        public nuint PciLength;
    }

    [LibraryImport(Library)]
    public static partial nint SCardEstablishContext(nuint scope, nint reserved1, nint reserved2, out nint context);

    [LibraryImport(Library)]
    public static partial nint SCardReleaseContext(nint context);

    [LibraryImport(Library)]
    public static partial nint SCardListReaders(nint context, nint groups, [Out] byte[]? readers, ref nuint length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint SCardConnect(nint context, string reader, nuint shareMode, nuint preferredProtocols, out nint card, out nuint activeProtocol);

    [LibraryImport(Library)]
    public static partial nint SCardDisconnect(nint card, nuint disposition);

    [LibraryImport(Library)]
    public static partial nint SCardBeginTransaction(nint card);

    [LibraryImport(Library)]
    public static partial nint SCardEndTransaction(nint card, nuint disposition);

    [LibraryImport(Library)]
    public static partial nint SCardTransmit(nint card, in IoRequest sendPci, byte[] send, nuint sendLength, nint receivePci, [Out] byte[] receive, ref nuint receiveLength);
}
