using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Policy.Rules;

/// <summary>Which subject keys a role accepts.</summary>
internal sealed class KeyRule(HashSet<string> types, int rsaMinBits, SecurityKeyPolicy securityKeys, AttestationRule? attestation = null)
{
    public static readonly string[] AllTypes = [.. SshKeyAlgorithms.PlainTypes];

    public SecurityKeyPolicy SecurityKeys => securityKeys;

    /// <summary>What attested keys must show (issue 29); none required by default.</summary>
    public AttestationRule Attestation { get; } = attestation ?? AttestationRule.None;

    /// <summary>Null when accepted; otherwise why not.</summary>
    public string? Reject(SshPublicKey key, KeyAttestation? attested = null)
    {
        if (!types.Contains(key.KeyType))
        {
            return types.Count == 0 ? "this role allows no key types" : $"key type {key.KeyType} is not one of {string.Join(", ", types.Order(StringComparer.Ordinal))}";
        }

        if (key is RsaPublicKey && key.SizeInBits < rsaMinBits)
        {
            return $"RSA key of {key.SizeInBits} bits is below the minimum of {rsaMinBits}";
        }

        return (securityKeys, key.IsSecurityKey) switch
        {
            (SecurityKeyPolicy.Required, false) => "a security key (sk-*) is required",
            (SecurityKeyPolicy.Forbidden, true) => "security keys (sk-*) are not allowed",
            _ => Attestation.Reject(attested),
        };
    }
}
