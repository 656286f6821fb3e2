namespace SshHsmCa.CaDaemon.Failures;

/// <summary>One malformed field of a request, by its proto field path.</summary>
internal sealed record FieldViolation(string Field, string Description);
