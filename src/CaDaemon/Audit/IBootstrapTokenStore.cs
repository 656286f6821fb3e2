namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One-time bootstrap tokens (their hashes only), each used at most once across appliances, and the authentication events around them.</summary>
internal interface IBootstrapTokenStore
{
    /// <summary>Stores a new bootstrap token (its hash only) and records who made it.</summary>
    Task CreateBootstrapTokenAsync(BootstrapTokenRecord token, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a bootstrap token without using it (the secret matches, it is unused and unexpired).
    /// Nothing is written: the token is used only by an issuance (<see cref="RedeemBootstrapTokenAsync"/>).
    /// </summary>
    Task<BootstrapRedemption> CheckBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, CancellationToken cancellationToken);

    /// <summary>
    /// Uses a bootstrap token once: atomically marks it used when the secret matches, it is unused
    /// and unexpired, and records the use as an authentication event. A refusal writes nothing.
    /// </summary>
    Task<BootstrapRedemption> RedeemBootstrapTokenAsync(string id, ReadOnlyMemory<byte> secretSha256, ulong now, string sourceAddress, CancellationToken cancellationToken);

    /// <summary>Makes a used token usable again, recorded: its issuance failed on the device, so it certified nothing.</summary>
    Task ReleaseBootstrapTokenAsync(string id, ulong now, string sourceAddress, string why, CancellationToken cancellationToken);

    /// <summary>Records an authentication event (renewal proofs, refused tokens).</summary>
    Task RecordAuthEventAsync(AuthEvent authEvent, CancellationToken cancellationToken);

    /// <summary>Authentication events, newest first.</summary>
    Task<IReadOnlyList<AuthEvent>> ListAuthEventsAsync(int limit, CancellationToken cancellationToken);
}
