namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A bootstrap token as stored: the id, the SHA-256 of the secret, never the secret.</summary>
internal sealed record BootstrapTokenRecord(string Id, ReadOnlyMemory<byte> SecretSha256, IReadOnlyList<string> HostNames, string CreatedBy, ulong CreatedAt, ulong ExpiresAt);
