using System.Threading.Channels;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// One life of the backend between faults: a logged-in token, the key handle, and the pool of
/// sessions (one per concurrent signature: a shared SoftHSM session crashed the process,
/// spec/hardware.md §1). A fault marks it broken; the next request builds a new one.
/// </summary>
internal sealed class Pkcs11Generation : IDisposable
{
    private readonly Channel<ISession> _idle;
    private int _broken;

    public Pkcs11Generation(Pkcs11Token token, IObjectHandle key, IReadOnlyList<ISession> sessions, ulong[] mechanisms)
    {
        Token = token;
        Key = key;
        Mechanisms = mechanisms;
        Size = sessions.Count;
        _idle = Channel.CreateBounded<ISession>(new BoundedChannelOptions(Math.Max(1, sessions.Count)) { SingleReader = false, SingleWriter = false });
        foreach (var session in sessions)
        {
            _idle.Writer.TryWrite(session);
        }
    }

    public Pkcs11Token Token { get; }

    public IObjectHandle Key { get; }

    /// <summary>The token's mechanism list, read once.</summary>
    public ulong[] Mechanisms { get; }

    public int Size { get; }

    public bool IsBroken => Volatile.Read(ref _broken) != 0;

    /// <summary>Sessions idle right now.</summary>
    public int IdleCount => _idle.Reader.Count;

    public void MarkBroken() => Interlocked.Exchange(ref _broken, 1);

    public ValueTask<ISession> RentAsync(CancellationToken cancellationToken) => _idle.Reader.ReadAsync(cancellationToken);

    /// <summary>Gives a session back, or closes it when this generation is over.</summary>
    public void Return(ISession session)
    {
        if (IsBroken || !_idle.Writer.TryWrite(session))
        {
            Close(session);
        }
    }

    public static void Close(ISession session)
    {
        try
        {
            session.CloseSession();
        }
        catch (Pkcs11Exception)
        {
            // Already invalid: the fault that brought us here closed it.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        MarkBroken();
        _idle.Writer.TryComplete();
        while (_idle.Reader.TryRead(out var session))
        {
            Close(session);
        }

        Token.Dispose();
    }
}
