namespace SshHsmCa.CaDaemon.Auth;

/// <summary>A presented bootstrap token, parsed: its public id and the SHA-256 of its secret (never the secret).</summary>
internal sealed record BootstrapToken(string Id, byte[] SecretSha256)
{
    /// <summary>The id alone: a caller's identity may be logged.</summary>
    public override string ToString() => "bootstrap token " + Id;
}
