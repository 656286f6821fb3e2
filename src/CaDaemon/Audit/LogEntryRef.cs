namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A leaf of the issuance log with what it refers to: the record (certificate serial, revocation id) the leaf was written with.</summary>
/// <param name="Index">Its index in the tree.</param>
/// <param name="Kind">certificate, revocation, ca-key or reload.</param>
/// <param name="Reference">The record's serial or id (0 for a CA key state or a reload).</param>
/// <param name="Entry">The leaf's canonical bytes.</param>
internal sealed record LogEntryRef(long Index, string Kind, long Reference, byte[] Entry);
