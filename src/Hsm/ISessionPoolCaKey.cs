namespace SshHsmCa.Hsm;

/// <summary>A CA key signing through a pool of device sessions (PKCS#11), for metrics.</summary>
public interface ISessionPoolCaKey : ICaKey
{
    /// <summary>Sessions in the pool (0 while unavailable).</summary>
    int PoolSize { get; }

    /// <summary>Sessions idle right now.</summary>
    int IdleSessions { get; }
}
