namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// The appliance's durable state, one store (SQLite, or PostgreSQL shared by several appliances)
/// behind four narrow interfaces that share its connection, group commit and dialect: each folder
/// depends on the one it needs (certificates, bootstrap tokens, revocations, key states).
/// </summary>
internal interface IAuditStore : ICertificateStore, IBootstrapTokenStore, IRevocationStore, IKeyStateStore, ILogStore
{
    /// <summary>Whether the store answers now (health: a PostgreSQL store without a reachable primary does not).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
