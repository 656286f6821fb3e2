using System.Collections.Concurrent;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// Imported verification keys for one public key, reused across verifications. Importing a key
/// into OpenSSL costs more than the verification itself (measured: P-256 199 µs with an import per
/// call), and .NET does not promise that one ECDsa/RSA instance may be used from two threads at
/// once, so each verification rents an instance of its own and returns it.
/// </summary>
internal sealed class AlgorithmPool<T>
    where T : class
{
    private const int MaxIdle = 8;
    private readonly ConcurrentBag<T> _idle = [];
    private readonly Func<T> _factory;

    public AlgorithmPool(Func<T> factory)
    {
        _factory = factory;
    }

    public TResult Use<TResult>(Func<T, TResult> action)
    {
        var instance = _idle.TryTake(out var idle) ? idle : _factory();
        try
        {
            return action(instance);
        }
        finally
        {
            if (_idle.Count < MaxIdle)
            {
                _idle.Add(instance);
            }
            else
            {
                (instance as IDisposable)?.Dispose();
            }
        }
    }
}
