namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>The <c>pkcs11</c> section of a CA key.</summary>
internal sealed class Pkcs11KeySection
{
    /// <summary>Sessions in the pool: signatures in flight at once (default: the number of processors).</summary>
    public int PoolSize { get; set; } = Environment.ProcessorCount;
}
