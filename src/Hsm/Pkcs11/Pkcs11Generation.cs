using System.Threading.Channels;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// One life of the backend between faults: a logged-in token, the key handle, and the pool of
/// sessions (one per concurrent signature: a shared SoftHSM session crashed the process,
/// seen with SoftHSM2 2.6.1). A fault marks it broken; the next request builds a new one.
/// </summary>
internal sealed class Pkcs11Generation : IDisposable
{
    private readonly Channel<ISession> _idle;
    private readonly Lock _closing = new();
    private int _broken;
    private int _rented;
    private readonly ISession[] _sessions;
    private bool _disposed;

    public Pkcs11Generation(Pkcs11Token token, IObjectHandle key, IReadOnlyList<ISession> sessions, ulong[] mechanisms)
    {
        Token = token;
        Key = key;
        Mechanisms = mechanisms;
        Size = sessions.Count;
        _sessions = [.. sessions];
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

    public async ValueTask<ISession> RentAsync(CancellationToken cancellationToken)
    {
        var session = await _idle.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _rented);
        return session;
    }

    /// <summary>Gives a session back, or closes it when this generation is over.</summary>
    public void Return(ISession session)
    {
        Interlocked.Decrement(ref _rented);
        if (!IsBroken && _idle.Writer.TryWrite(session))
        {
            return;
        }

        lock (_closing)
        {
            // After Dispose, Dispose has closed it already, and its handle number may belong to a
            // session of the next generation by now (SoftHSM reuses handles): closing it again
            // could close someone else's session.
            if (!_disposed)
            {
                Close(session);
            }
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

    /// <summary>
    /// Ends this generation once no signature is running on it any more (or the timeout passed):
    /// closing a session while another thread signs on it crashed SoftHSM (SIGSEGV) here.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        MarkBroken();
        _idle.Writer.TryComplete();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _rented) > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(2).ConfigureAwait(false);
        }

        Dispose();
    }

    /// <summary>
    /// Ends this generation: its own sessions and its anchor are closed, one by one. Never
    /// C_CloseAllSessions: that also closes every other key's sessions on the token (the user and
    /// host CA keys often share one, and a rotation retires a key while the next signs beside it).
    /// </summary>
    public void Dispose()
    {
        MarkBroken();
        lock (_closing)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _idle.Writer.TryComplete();
            while (_idle.Reader.TryRead(out _))
            {
            }

            foreach (var session in _sessions)
            {
                Close(session);
            }

            Token.Dispose();
        }
    }
}
