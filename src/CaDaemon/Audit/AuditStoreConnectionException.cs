using System.Data.Common;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>
/// A group commit that failed with the connection under it (a failover, a server gone), whatever
/// the driver threw: a <see cref="DbException"/>, so callers get UNAVAILABLE AUDIT_UNAVAILABLE
/// (nothing was issued), never an internal error.
/// </summary>
internal sealed class AuditStoreConnectionException(Exception inner)
    : DbException($"the audit store's connection failed during a commit: {inner.Message}", inner);
