namespace SshHsmCa.CaDaemon.Audit;

/// <summary>An authentication event: a token made or used, a renewal proof checked.</summary>
internal sealed record AuthEvent(ulong Time, string Kind, string Subject, string Caller, string SourceAddress, string Outcome, string Detail);
