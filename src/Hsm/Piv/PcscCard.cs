using System.Text;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// One card in one PC/SC reader, connected shared over T=1. Sends command APDUs with chaining
/// (data over 255 bytes: CLA 0x10 on all blocks but the last) and follows <c>61xx</c> with GET
/// RESPONSE. Not thread-safe: the caller serialises (and holds a transaction across a
/// multi-APDU operation with <see cref="BeginTransaction"/>).
/// </summary>
public sealed class PcscCard : IDisposable
{
    private const int MaxResponse = 258;
    private const int MaxChainedResponse = 16 * 1024;
    private nint _context;
    private nint _card;
    private readonly uint _protocol;

    private PcscCard(nint context, nint card, uint protocol, string reader)
    {
        _context = context;
        _card = card;
        _protocol = protocol;
        Reader = reader;
    }

    /// <summary>The reader's name.</summary>
    public string Reader { get; }

    /// <summary>Lists the readers pcscd knows (empty when none).</summary>
    /// <exception cref="HsmException">pcscd is not reachable.</exception>
    public static IReadOnlyList<string> ListReaders()
    {
        var context = Establish();
        try
        {
            return ListReaders(context);
        }
        finally
        {
            _ = PcscNative.SCardReleaseContext(context);
        }
    }

    /// <summary>Connects to the card in <paramref name="reader"/>.</summary>
    /// <exception cref="HsmException">No such reader, no card in it, or pcscd unreachable.</exception>
    public static PcscCard Connect(string reader)
    {
        ArgumentException.ThrowIfNullOrEmpty(reader);
        var context = Establish();
        var rv = PcscError.Code(PcscNative.SCardConnect(context, reader, PcscNative.ShareShared, PcscNative.ProtocolT1 | PcscNative.ProtocolT0, out var card, out var protocol));
        if (rv != PcscError.Success)
        {
            _ = PcscNative.SCardReleaseContext(context);
            var kind = rv is PcscError.UnknownReader ? HsmErrorKind.TokenNotFound : HsmErrorKind.DeviceUnavailable;
            throw new HsmException(kind, $"PC/SC reader '{reader}': connect failed with {PcscError.Name(rv)}");
        }

        return new PcscCard(context, card, (uint)protocol, reader);
    }

    internal static IReadOnlyList<string> ListReaders(nint context)
    {
        nuint length = 0;
        var rv = PcscError.Code(PcscNative.SCardListReaders(context, 0, null, ref length));
        if (rv == PcscError.NoReadersAvailable)
        {
            return [];
        }

        Check(rv, "list readers");
        var buffer = new byte[(int)length];
        rv = PcscError.Code(PcscNative.SCardListReaders(context, 0, buffer, ref length));
        if (rv == PcscError.NoReadersAvailable)
        {
            return [];
        }

        Check(rv, "list readers");
        return Encoding.UTF8.GetString(buffer, 0, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    private static nint Establish()
    {
        nint context;
        try
        {
            var rv = PcscError.Code(PcscNative.SCardEstablishContext(PcscNative.ScopeSystem, 0, 0, out context));
            Check(rv, "establish a context with pcscd");
        }
        catch (DllNotFoundException e)
        {
            throw new HsmException(HsmErrorKind.Configuration, "libpcsclite.so.1 is not installed (apt-get install libpcsclite1 pcscd)", e);
        }

        return context;
    }

    private static void Check(uint rv, string what)
    {
        if (rv != PcscError.Success)
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"PC/SC: {what} failed with {PcscError.Name(rv)}");
        }
    }

    /// <summary>Holds the card for this process until disposed (a multi-APDU operation).</summary>
    public IDisposable BeginTransaction()
    {
        ObjectDisposedException.ThrowIf(_card == 0, this);
        Check(PcscError.Code(PcscNative.SCardBeginTransaction(_card)), $"begin a transaction on '{Reader}'");
        return new Transaction(this);
    }

    /// <summary>Sends one command (chained when the data is long) and collects the whole response.</summary>
    public ResponseApdu Send(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data = default)
    {
        var offset = 0;
        while (data.Length - offset > 255)
        {
            var block = Transmit(Build((byte)(cla | 0x10), ins, p1, p2, data.Slice(offset, 255)));
            if (block.StatusWord != 0x9000)
            {
                return block;
            }

            offset += 255;
        }

        var response = Transmit(Build(cla, ins, p1, p2, data[offset..]));
        if ((response.StatusWord >> 8) != 0x61)
        {
            return response;
        }

        var collected = new List<byte>(response.Data);
        while ((response.StatusWord >> 8) == 0x61)
        {
            response = Transmit([0x00, 0xC0, 0x00, 0x00, (byte)(response.StatusWord & 0xFF)]);
            collected.AddRange(response.Data);
            if (collected.Count > MaxChainedResponse)
            {
                throw new HsmException(HsmErrorKind.DeviceUnavailable, $"'{Reader}': the response exceeds {MaxChainedResponse} bytes");
            }
        }

        return new ResponseApdu([.. collected], response.StatusWord);
    }

    private static byte[] Build(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data)
    {
        // Case 4 short APDU with Le = 00 (up to 256 bytes back); case 2 when there is no data.
        var apdu = new byte[data.IsEmpty ? 5 : 6 + data.Length];
        apdu[0] = cla;
        apdu[1] = ins;
        apdu[2] = p1;
        apdu[3] = p2;
        if (!data.IsEmpty)
        {
            apdu[4] = (byte)data.Length;
            data.CopyTo(apdu.AsSpan(5));
        }

        return apdu;
    }

    private ResponseApdu Transmit(byte[] apdu)
    {
        ObjectDisposedException.ThrowIf(_card == 0, this);
        var receive = new byte[MaxResponse];
        nuint length = (nuint)receive.Length;
        var pci = new PcscNative.IoRequest { Protocol = _protocol, PciLength = (nuint)16 };
        var rv = PcscError.Code(PcscNative.SCardTransmit(_card, pci, apdu, (nuint)apdu.Length, 0, receive, ref length));
        if (rv != PcscError.Success)
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"'{Reader}': transmit failed with {PcscError.Name(rv)}", new CardGoneException(rv));
        }

        if (length < 2)
        {
            // What vpcd hands back when the card goes away in the middle of a command.
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"'{Reader}': a response without a status word (card removed?)", new CardGoneException(PcscError.CommDataLost));
        }

        var n = (int)length;
        return new ResponseApdu(receive[..(n - 2)], (ushort)((receive[n - 2] << 8) | receive[n - 1]));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_card != 0)
        {
            _ = PcscNative.SCardDisconnect(_card, PcscNative.LeaveCard);
            _card = 0;
        }

        if (_context != 0)
        {
            _ = PcscNative.SCardReleaseContext(_context);
            _context = 0;
        }
    }

    private sealed class Transaction(PcscCard card) : IDisposable
    {
        private bool _ended;

        public void Dispose()
        {
            if (!_ended && card._card != 0)
            {
                _ended = true;
                _ = PcscNative.SCardEndTransaction(card._card, PcscNative.LeaveCard);
            }
        }
    }
}
