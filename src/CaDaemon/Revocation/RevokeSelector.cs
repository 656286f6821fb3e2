namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>What an operator asks to revoke (exactly one selector), why, and whether to write it.</summary>
internal sealed record RevokeSelector
{
    public IReadOnlyList<ulong> Serials { get; init; } = [];

    public string KeyId { get; init; } = string.Empty;

    public string Principal { get; init; } = string.Empty;

    public string Caller { get; init; } = string.Empty;

    public ulong IssuedSince { get; init; }

    public string PublicKey { get; init; } = string.Empty;

    public string KeyFingerprint { get; init; } = string.Empty;

    public string CaPublicKey { get; init; } = string.Empty;

    public RevokeScope Scope { get; init; }

    public string Reason { get; init; } = string.Empty;

    public bool DryRun { get; init; }
}
