namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The issuance log's size and tree hash, as committed.</summary>
/// <param name="Size">Leaves in the tree.</param>
/// <param name="Root">Its RFC 6962 tree hash.</param>
internal sealed record LogHead(long Size, byte[] Root);
