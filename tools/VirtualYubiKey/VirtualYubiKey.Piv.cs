using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace SshHsmCa.VirtualCards;

/// <summary>The PIV applet (spec/hardware.md §4), one APDU at a time on the link thread.</summary>
public sealed partial class VirtualYubiKey
{
    private const int MaxRetries = 3;
    private static readonly byte[] PivAid = [0xA0, 0x00, 0x00, 0x03, 0x08];

    private readonly System.Security.Cryptography.ECDsa _f9Key;
    private readonly byte[] _f9Certificate;
    private readonly Dictionary<int, byte[]> _objects = [];
    private readonly Dictionary<byte, SlotKey> _slots = [];
    private byte[] _pin = Encoding.ASCII.GetBytes("123456");
    private byte[] _puk = Encoding.ASCII.GetBytes("12345678");
    private byte[] _managementKey = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];
    private int _pinRetries = MaxRetries;
    private int _pukRetries = MaxRetries;
    private bool _pinVerified;
    private bool _selected;
    private bool _managementAuthenticated;
    private byte[]? _witness;
    private readonly List<byte> _chain = [];
    private byte[] _pending = [];
    private long? _lastTouch;
    private int _touchWaits;
    private int _signatures;

    /// <summary>The management key's algorithm (AES-192 on 5.7; 0x03 for 3DES).</summary>
    public byte ManagementAlgorithm { get; private set; } = 0x0A;

    /// <summary>PIN tries left.</summary>
    public int PinRetries => _pinRetries;

    /// <summary>Sets the PIN, PUK and management key (a card "personalised" before a test).</summary>
    public void Personalise(string pin, string puk, byte[] managementKey, byte managementAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(managementKey);
        _pin = Encoding.ASCII.GetBytes(pin);
        _puk = Encoding.ASCII.GetBytes(puk);
        _managementKey = [.. managementKey];
        ManagementAlgorithm = managementAlgorithm;
        _pinRetries = MaxRetries;
        _pukRetries = MaxRetries;
    }

    /// <summary>Puts a key straight into a slot (for tests that need a key without the ceremony).</summary>
    public void PutKey(byte slot, SlotKey key) => _slots[slot] = key;

    private void ResetSecurityState()
    {
        _selected = false;
        _lastTouch = null;
        _pinVerified = false;
        _managementAuthenticated = false;
        _witness = null;
        _chain.Clear();
        _pending = [];
    }

    private byte[] Process(byte[] apdu)
    {
        if (apdu.Length < 4)
        {
            return Sw(0x6700);
        }

        byte cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
        var data = ReadOnlySpan<byte>.Empty;
        if (apdu.Length > 5)
        {
            var lc = apdu[4];
            if (apdu.Length < 5 + lc)
            {
                return Sw(0x6700);
            }

            data = apdu.AsSpan(5, lc);
        }

        if (ins == 0xC0)
        {
            return Chunk(_pending);
        }

        if ((cla & 0x10) != 0)
        {
            _chain.AddRange(data.ToArray());
            return Sw(0x9000);
        }

        if (_chain.Count > 0)
        {
            _chain.AddRange(data.ToArray());
            data = _chain.ToArray();
            _chain.Clear();
        }

        var (body, sw) = Execute(ins, p1, p2, data);
        if (sw != 0x9000)
        {
            return Sw(sw);
        }

        return Chunk(body);
    }

    private byte[] Chunk(byte[] body)
    {
        if (body.Length <= 256)
        {
            _pending = [];
            return [.. body, 0x90, 0x00];
        }

        _pending = body[256..];
        var next = _pending.Length >= 256 ? 0 : _pending.Length;
        return [.. body[..256], 0x61, (byte)next];
    }

    private static byte[] Sw(int sw) => [(byte)(sw >> 8), (byte)sw];

    private (byte[] Body, int Sw) Execute(byte ins, byte p1, byte p2, ReadOnlySpan<byte> data)
    {
        switch (ins)
        {
            case 0xA4:
                if (p1 != 0x04 || !data.StartsWith(PivAid))
                {
                    // Another application (OTP, FIDO...): PIV is no longer the selected one.
                    _selected = false;
                    _pinVerified = false;
                    return ([], 0x6A82);
                }

                _selected = true;
                return ([0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x79, 0x07, 0x4F, 0x05, .. PivAid], 0x9000);
            case not 0xA4 when !_selected:
                return ([], 0x6D00);
            case 0xFD:
                return (Firmware, 0x9000);
            case 0xF8:
                var serial = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(serial, Serial);
                return (serial, 0x9000);
            case 0x20:
                return Verify(p1, p2, data);
            case 0x24:
                return ChangeReference(p2, data);
            case 0x2C:
                return ResetRetry(data);
            case 0xF7:
                return Metadata(p2);
            case 0x87:
                return GeneralAuthenticate(p1, p2, data);
            case 0x47:
                return Generate(p2, data);
            case 0xFE:
                return Import(p1, p2, data);
            case 0xCB:
                return GetData(data);
            case 0xDB:
                return PutData(data);
            case 0xF9:
                return Attest(p1);
            default:
                return ([], 0x6D00);
        }
    }

    private (byte[], int) Verify(byte p1, byte p2, ReadOnlySpan<byte> data)
    {
        if (p2 != 0x80)
        {
            return ([], 0x6A88);
        }

        if (p1 == 0xFF)
        {
            _pinVerified = false;
            return ([], 0x9000);
        }

        if (data.IsEmpty)
        {
            return _pinVerified ? ([], 0x9000) : ([], _pinRetries == 0 ? 0x6983 : 0x63C0 | _pinRetries);
        }

        if (_pinRetries == 0)
        {
            return ([], 0x6983);
        }

        if (data.Length != 8 || !CryptographicOperations.FixedTimeEquals(Unpad(data), _pin))
        {
            _pinVerified = false;
            _pinRetries--;
            return ([], _pinRetries == 0 ? 0x6983 : 0x63C0 | _pinRetries);
        }

        _pinRetries = MaxRetries;
        _pinVerified = true;
        return ([], 0x9000);
    }

    private (byte[], int) ChangeReference(byte p2, ReadOnlySpan<byte> data)
    {
        if (data.Length != 16 || p2 is not (0x80 or 0x81))
        {
            return ([], 0x6A80);
        }

        ref var retries = ref p2 == 0x80 ? ref _pinRetries : ref _pukRetries;
        var current = p2 == 0x80 ? _pin : _puk;
        if (retries == 0)
        {
            return ([], 0x6983);
        }

        if (!CryptographicOperations.FixedTimeEquals(Unpad(data[..8]), current))
        {
            retries--;
            return ([], retries == 0 ? 0x6983 : 0x63C0 | retries);
        }

        retries = MaxRetries;
        if (p2 == 0x80)
        {
            _pin = Unpad(data[8..]);
        }
        else
        {
            _puk = Unpad(data[8..]);
        }

        return ([], 0x9000);
    }

    private (byte[], int) ResetRetry(ReadOnlySpan<byte> data)
    {
        if (data.Length != 16)
        {
            return ([], 0x6A80);
        }

        if (_pukRetries == 0)
        {
            return ([], 0x6983);
        }

        if (!CryptographicOperations.FixedTimeEquals(Unpad(data[..8]), _puk))
        {
            _pukRetries--;
            return ([], _pukRetries == 0 ? 0x6983 : 0x63C0 | _pukRetries);
        }

        _pukRetries = MaxRetries;
        _pin = Unpad(data[8..]);
        _pinRetries = MaxRetries;
        return ([], 0x9000);
    }

    private static byte[] Unpad(ReadOnlySpan<byte> padded)
    {
        var end = padded.IndexOf((byte)0xFF);
        return (end < 0 ? padded : padded[..end]).ToArray();
    }

    private (byte[], int) Metadata(byte slot)
    {
        switch (slot)
        {
            case 0x80 or 0x81:
                var retries = slot == 0x80 ? _pinRetries : _pukRetries;
                var isDefault = slot == 0x80 ? _pin.SequenceEqual("123456"u8.ToArray()) : _puk.SequenceEqual("12345678"u8.ToArray());
                return ([.. Card.Tlv(0x01, [0xFF]), .. Card.Tlv(0x05, [isDefault ? (byte)1 : (byte)0]), .. Card.Tlv(0x06, [MaxRetries, (byte)retries])], 0x9000);
            case 0x9B:
                var defaultKey = _managementKey.SequenceEqual(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8 });
                return ([.. Card.Tlv(0x01, [ManagementAlgorithm]), .. Card.Tlv(0x02, [0x00, 0x01]), .. Card.Tlv(0x05, [defaultKey ? (byte)1 : (byte)0])], 0x9000);
            default:
                if (!_slots.TryGetValue(slot, out var key))
                {
                    return ([], 0x6A88);
                }

                return ([.. Card.Tlv(0x01, [key.Algorithm]), .. Card.Tlv(0x02, [key.PinPolicy, key.TouchPolicy]), .. Card.Tlv(0x03, [key.Origin]), .. Card.Tlv(0x04, key.PublicKeyTlvs())], 0x9000);
        }
    }

    private (byte[], int) GeneralAuthenticate(byte algorithm, byte slot, ReadOnlySpan<byte> data)
    {
        var outer = Card.Parse(data);
        if (outer is null || !outer.TryGetValue(0x7C, out var template) || Card.Parse(template) is not { } inner)
        {
            return ([], 0x6A80);
        }

        if (slot == 0x9B)
        {
            return ManagementAuthenticate(algorithm, inner);
        }

        if (!_slots.TryGetValue(slot, out var key))
        {
            return ([], 0x6A88);
        }

        if (key.Algorithm != algorithm || !inner.TryGetValue(0x81, out var input) || !inner.ContainsKey(0x82))
        {
            return ([], 0x6A80);
        }

        if (key.PinPolicy != 1 && !_pinVerified)
        {
            return ([], 0x6982);
        }

        var cached = _lastTouch is { } last && Stopwatch.GetElapsedTime(last) < TouchCacheWindow;
        var touched = key.TouchPolicy switch
        {
            2 => WaitForTouch(),
            3 => cached || WaitForTouch(),
            _ => true,
        };
        if (!touched)
        {
            return ([], 0x6982);
        }

        if (key.TouchPolicy == 2 || (key.TouchPolicy == 3 && !cached))
        {
            _lastTouch = Stopwatch.GetTimestamp();
        }

        var result = key.Operate(input);
        if (result is null)
        {
            return ([], 0x6A80);
        }

        if (key.PinPolicy == 3)
        {
            _pinVerified = false;
        }

        Interlocked.Increment(ref _signatures);
        return (Card.Tlv(0x7C, Card.Tlv(0x82, result)), 0x9000);
    }

    private (byte[], int) ManagementAuthenticate(byte algorithm, IReadOnlyDictionary<int, byte[]> inner)
    {
        if (algorithm != ManagementAlgorithm)
        {
            return ([], 0x6A86);
        }

        var block = ManagementAlgorithm == 0x03 ? 8 : 16;
        if (inner.TryGetValue(0x80, out var witness) && witness.Length == 0)
        {
            _managementAuthenticated = false;
            _witness = RandomNumberGenerator.GetBytes(block);
            return (Card.Tlv(0x7C, Card.Tlv(0x80, Crypt(_witness, encrypt: true))), 0x9000);
        }

        if (_witness is null || witness is null || !inner.TryGetValue(0x81, out var challenge) || challenge.Length != block)
        {
            _witness = null;
            return ([], 0x6A80);
        }

        var ok = witness.Length == block && CryptographicOperations.FixedTimeEquals(witness, _witness);
        _witness = null;
        if (!ok)
        {
            return ([], 0x6982);
        }

        _managementAuthenticated = true;
        return (Card.Tlv(0x7C, Card.Tlv(0x82, Crypt(challenge, encrypt: true))), 0x9000);
    }

#pragma warning disable CA5351, CA5350 // The card's 3DES management key, as YubiKeys before 5.7 use it.
    private byte[] Crypt(byte[] block, bool encrypt)
    {
        if (ManagementAlgorithm == 0x03)
        {
            using var des = TripleDES.Create();
            // TripleDES refuses K1 == K2 keys such as the factory default; EDE with equal keys is DES.
            var k = _managementKey;
            if (k.AsSpan(0, 8).SequenceEqual(k.AsSpan(8, 8)) && k.AsSpan(8, 8).SequenceEqual(k.AsSpan(16, 8)))
            {
                using var single = DES.Create();
                single.Key = k[..8];
                return encrypt ? single.EncryptEcb(block, PaddingMode.None) : single.DecryptEcb(block, PaddingMode.None);
            }

            des.Key = k;
            return encrypt ? des.EncryptEcb(block, PaddingMode.None) : des.DecryptEcb(block, PaddingMode.None);
        }

        using var aes = Aes.Create();
        aes.Key = _managementKey;
        return encrypt ? aes.EncryptEcb(block, PaddingMode.None) : aes.DecryptEcb(block, PaddingMode.None);
    }
#pragma warning restore CA5351, CA5350

    private (byte[], int) Generate(byte slot, ReadOnlySpan<byte> data)
    {
        if (!_managementAuthenticated)
        {
            return ([], 0x6982);
        }

        if (slot is not (0x9A or 0x9C or 0x9D or 0x9E or (>= 0x82 and <= 0x95)))
        {
            return ([], 0x6A86);
        }

        var outer = Card.Parse(data);
        if (outer is null || !outer.TryGetValue(0xAC, out var template) || Card.Parse(template) is not { } inner
            || !inner.TryGetValue(0x80, out var algorithm) || algorithm.Length != 1)
        {
            return ([], 0x6A80);
        }

        var pin = inner.TryGetValue(0xAA, out var p) && p.Length == 1 && p[0] != 0 ? p[0] : DefaultPinPolicy(slot);
        var touch = inner.TryGetValue(0xAB, out var t) && t.Length == 1 && t[0] != 0 ? t[0] : (byte)1;
        SlotKey key;
        try
        {
            key = SlotKey.Generate(algorithm[0], pin, touch);
        }
        catch (NotSupportedException)
        {
            return ([], 0x6A80);
        }

        _slots[slot] = key;
        return (Card.Tlv(0x7F49, key.PublicKeyTlvs()), 0x9000);
    }

    private (byte[], int) Import(byte algorithm, byte slot, ReadOnlySpan<byte> data)
    {
        if (!_managementAuthenticated)
        {
            return ([], 0x6982);
        }

        var tlvs = Card.Parse(data);
        if (algorithm is not (0x11 or 0x14) || tlvs is null || !tlvs.TryGetValue(0x06, out var scalar))
        {
            return ([], 0x6A80);
        }

        var pin = tlvs.TryGetValue(0xAA, out var p) && p.Length == 1 ? p[0] : DefaultPinPolicy(slot);
        var touch = tlvs.TryGetValue(0xAB, out var t) && t.Length == 1 ? t[0] : (byte)1;
        _slots[slot] = SlotKey.ImportEc(algorithm, scalar, pin, touch);
        return ([], 0x9000);
    }

    private static byte DefaultPinPolicy(byte slot) => slot switch
    {
        0x9C => 3,
        0x9E => 1,
        _ => 2,
    };

    private (byte[], int) GetData(ReadOnlySpan<byte> data)
    {
        var tlvs = Card.Parse(data);
        if (tlvs is null || !tlvs.TryGetValue(0x5C, out var id) || id.Length is 0 or > 3)
        {
            return ([], 0x6A80);
        }

        var tag = id.Aggregate(0, (a, b) => (a << 8) | b);
        return _objects.TryGetValue(tag, out var value) ? (Card.Tlv(0x53, value), 0x9000) : ([], 0x6A82);
    }

    private (byte[], int) PutData(ReadOnlySpan<byte> data)
    {
        if (!_managementAuthenticated)
        {
            return ([], 0x6982);
        }

        var tlvs = Card.Parse(data);
        if (tlvs is null || !tlvs.TryGetValue(0x5C, out var id) || id.Length is 0 or > 3 || !tlvs.TryGetValue(0x53, out var value))
        {
            return ([], 0x6A80);
        }

        var tag = id.Aggregate(0, (a, b) => (a << 8) | b);
        if (value.Length == 0)
        {
            _objects.Remove(tag);
        }
        else
        {
            _objects[tag] = value;
        }

        return ([], 0x9000);
    }

    private (byte[], int) Attest(byte slot)
    {
        if (!_slots.TryGetValue(slot, out var key))
        {
            return ([], 0x6A88);
        }

        if (key.Origin != 1)
        {
            return ([], 0x6A80);
        }

        return (AttestationAuthority.Attest(_f9Key, _f9Certificate, slot, key, Serial, Firmware), 0x9000);
    }
}
