using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SshHsmCa.VirtualCards;

/// <summary>
/// A YubiKey 5.7 PIV applet that plugs into vsmartcard's vpcd (spec/hardware.md §5), so the real
/// pcscd and libpcsclite talk to it as to hardware. Test infrastructure: the PIN, PUK and
/// management key counters, key generation with policies, signatures, metadata, attestation
/// under its own test root, certificate objects, touch that a test delivers late or never, and
/// removal and re-insertion.
/// </summary>
public sealed partial class VirtualYubiKey : IDisposable
{
    /// <summary>The ATR of a YubiKey 5 (historical bytes "Yubikey4"), as the prototype used.</summary>
    public static readonly byte[] Atr = Convert.FromHexString("3BF81300008131FE15597562696B657934D4");

    private readonly Func<Socket> _connect;
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _touches = new(0, int.MaxValue);
    private Socket? _socket;
    private Thread? _thread;
    private volatile bool _disposed;

    /// <summary>Creates a card that will connect with <paramref name="connect"/> (a socket connected to vpcd).</summary>
    public VirtualYubiKey(Func<Socket> connect, AttestationAuthority authority, uint serial = 12345678)
    {
        ArgumentNullException.ThrowIfNull(authority);
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
        Serial = serial;
        (_f9Key, var f9Certificate) = authority.IssueDevice(serial);
        _objects[0x5FFF01] = [.. Card.Tlv(0x70, f9Certificate), .. Card.Tlv(0x71, [0x00]), .. Card.Tlv(0xFE, [])];
        _f9Certificate = f9Certificate;
    }

    /// <summary>The serial number GET SERIAL answers.</summary>
    public uint Serial { get; }

    /// <summary>Firmware reported by GET VERSION.</summary>
    public byte[] Firmware { get; } = [5, 7, 1];

    /// <summary>How touches arrive.</summary>
    public TouchMode TouchMode { get; set; } = TouchMode.Auto;

    /// <summary>With <see cref="TouchMode.Auto"/>: how long after the card starts waiting the touch comes.</summary>
    public TimeSpan TouchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long the card waits for a touch before it answers 6982 (about 15 s on hardware).</summary>
    public TimeSpan TouchTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a "cached" touch stays valid (15 s on hardware).</summary>
    public TimeSpan TouchCacheWindow { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times the card waited for a touch.</summary>
    public int TouchWaits => Volatile.Read(ref _touchWaits);

    /// <summary>How many private-key operations succeeded.</summary>
    public int Signatures => Volatile.Read(ref _signatures);

    /// <summary>Called when the card starts waiting for a touch (tests use it to touch late).</summary>
    public Action? WaitingForTouch { get; set; }

    /// <summary>True while the card is in the reader.</summary>
    public bool Inserted => _socket is not null;

    /// <summary>Puts the card in the reader (connects to vpcd and serves APDUs on a thread of its own).</summary>
    public void Insert()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_socket is not null)
            {
                return;
            }

            var socket = _connect();
            _socket = socket;
            _thread = new Thread(() => Serve(socket)) { IsBackground = true, Name = $"virtual-yubikey-{Serial}" };
            _thread.Start();
        }
    }

    /// <summary>Pulls the card out (vpcd sees it removed; an operation in flight fails).</summary>
    public void Remove()
    {
        Thread? thread;
        lock (_sync)
        {
            thread = _thread;
            _socket?.Dispose();
            _socket = null;
            _thread = null;
        }

        // Wakes a signature that waits for a touch, so the thread can see the socket gone.
        _touches.Release();
        thread?.Join(TimeSpan.FromSeconds(5));
        while (_touches.CurrentCount > 0)
        {
            _touches.Wait(0);
        }

        ResetSecurityState();
    }

    /// <summary>Ends a "cached" touch's window now (as a power cycle does) and drops touches nobody waited for.</summary>
    public void ForgetTouch()
    {
        _lastTouch = null;
        while (_touches.Wait(0))
        {
        }
    }

    /// <summary>Touches the card once (for <see cref="TouchMode.Manual"/>, or early in the other modes).</summary>
    public void Touch() => _touches.Release();

    private void Serve(Socket socket)
    {
        var header = new byte[2];
        try
        {
            while (!_disposed)
            {
                ReadExactly(socket, header);
                var length = BinaryPrimitives.ReadUInt16BigEndian(header);
                var message = new byte[length];
                ReadExactly(socket, message);
                byte[]? reply;
                if (length == 1)
                {
                    reply = message[0] switch
                    {
                        0x00 or 0x01 or 0x02 => Reset(),
                        0x04 => Atr,
                        _ => null,
                    };
                }
                else
                {
                    reply = Process(message);
                }

                if (reply is not null && ReferenceEquals(socket, _socket))
                {
                    var frame = new byte[2 + reply.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)reply.Length);
                    reply.CopyTo(frame, 2);
                    socket.Send(frame);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // Removed.
        }
    }

    private byte[]? Reset()
    {
        ResetSecurityState();
        return null;
    }

    private static void ReadExactly(Socket socket, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }

    private bool WaitForTouch()
    {
        Interlocked.Increment(ref _touchWaits);
        WaitingForTouch?.Invoke();
        var socket = _socket;
        var deadline = DateTime.UtcNow + TouchTimeout;
        if (TouchMode == TouchMode.Auto && TouchDelay > TimeSpan.Zero)
        {
            // An early manual touch still counts.
            if (_touches.Wait(TouchDelay < TouchTimeout ? TouchDelay : TouchTimeout))
            {
                return ReferenceEquals(socket, _socket);
            }

            return TouchDelay < TouchTimeout && ReferenceEquals(socket, _socket);
        }

        if (TouchMode == TouchMode.Auto)
        {
            return true;
        }

        var remaining = deadline - DateTime.UtcNow;
        return remaining > TimeSpan.Zero && _touches.Wait(remaining) && ReferenceEquals(socket, _socket);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Remove();
        _disposed = true;
        _f9Key.Dispose();
        _touches.Dispose();
        CryptographicOperations.ZeroMemory(_managementKey);
    }
}
