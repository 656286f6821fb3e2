using System.Security.Cryptography.X509Certificates;

namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>What an attestation must show to be accepted.</summary>
public sealed record AttestationPolicy
{
    /// <summary>The pinned attestation roots (for example Yubico's FIDO roots); none trusts nothing.</summary>
    public required IReadOnlyList<X509Certificate2> Roots { get; init; }

    /// <summary>Intermediates to build the chain with (the blob carries only the leaf).</summary>
    public IReadOnlyList<X509Certificate2> Intermediates { get; init; } = [];

    /// <summary>Allowed authenticator models; empty allows any model whose chain is trusted.</summary>
    public IReadOnlySet<Guid> AllowedAaguids { get; init; } = new HashSet<Guid>();

    /// <summary>Refuse an enrollment without the UV flag.</summary>
    public bool RequireUserVerification { get; init; }

    /// <summary>Accept backup-eligible or backed-up credentials (synced passkeys).</summary>
    public bool AllowBackup { get; init; }

    /// <summary>The time the chain is checked at.</summary>
    public required DateTimeOffset Now { get; init; }
}
