namespace SshHsmCa.CaDaemon.Keys;

/// <summary>The <c>pkcs11</c> section of a CA key.</summary>
internal sealed class Pkcs11KeySection
{
    /// <summary>
    /// Sessions in the pool: signatures in flight at once. Unset: the number of processors for a
    /// module that computes (SoftHSM), 32 for one that waits for its device (a network HSM),
    /// within the token's session limit.
    /// </summary>
    public int? PoolSize { get; set; }
}
