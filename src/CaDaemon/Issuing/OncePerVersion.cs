namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// A signed document made at most once per version (the KRL, the trust set): each version costs
/// one hardware signature however many hosts fetch it, and concurrent first fetches of a new
/// version wait for the one signature instead of each asking the device.
/// </summary>
/// <typeparam name="T">The signed document.</typeparam>
internal sealed class OncePerVersion<T>(Func<T, ulong> versionOf) : IDisposable
    where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _current;

    /// <summary>The document of <paramref name="version"/>: the one made already, or <paramref name="make"/>'s (which may make a newer one).</summary>
    public async Task<T> GetAsync(ulong version, Func<CancellationToken, Task<T>> make, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(make);
        if (Volatile.Read(ref _current) is { } cached && versionOf(cached) == version)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } other && versionOf(other) == version)
            {
                return other;
            }

            var made = await make(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _current, made);
            return made;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
