using SshHsmCa.CaDaemon.Keys;

namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>
/// The issuance log's checkpoints (docs/audit-log.md): the log's origin, the Ed25519 log key in
/// the HSM or YubiKey that signs them, and how often. Without this section the tree is still kept
/// (every certificate gets its leaf) but nothing is signed or served.
/// </summary>
internal sealed class LogOptions
{
    /// <summary>The log's name in every checkpoint, the same on every appliance writing one log (e.g. <c>ca.example.com/ssh-hsm-ca</c>).</summary>
    public string? Origin { get; set; }

    /// <summary>This appliance's signer name in the signed note (default: the origin); appliances on one log each have their own key and name.</summary>
    public string? SignerName { get; set; }

    /// <summary>The log key: an Ed25519 key on a device, configured like a CA key (uri, pinFile or pinCredential, expectedPublicKey).</summary>
    public CaKeyOptions? Key { get; set; }

    /// <summary>At most one checkpoint per this many seconds while the tree grows (and one at every revocation).</summary>
    public int CheckpointSeconds { get; set; } = 10;

    /// <summary>Serve the leaves themselves (<c>/log/tile/entries/…</c>) on the publish listener; they name callers and key ids, so off by default.</summary>
    public bool PublishEntries { get; set; }
}
