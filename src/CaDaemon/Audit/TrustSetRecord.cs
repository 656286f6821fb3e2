namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One trust-set version: its key lines (the document without header and version) and when it was published.</summary>
internal sealed record TrustSetRecord(ulong Version, string Body, ulong CreatedAt);
