namespace SshHsmCa.Policy.Rules;

/// <summary>A role's rules for attested security keys (issue 29): required or not, which models, UV, backup.</summary>
internal sealed record AttestationRule(bool Required, IReadOnlySet<Guid> Aaguids, bool RequireUserVerification, bool AllowBackup)
{
    public static readonly AttestationRule None = new(false, new HashSet<Guid>(), false, false);

    /// <summary>Null when <paramref name="attested"/> satisfies the rule; otherwise why not.</summary>
    public string? Reject(KeyAttestation? attested)
    {
        if (!Required)
        {
            return null;
        }

        if (attested is null)
        {
            return "the key is not an enrolled security key with a verified attestation (enroll it: ssh-hsm-ca key enroll)";
        }

        if (Aaguids.Count > 0 && !Aaguids.Contains(attested.Aaguid))
        {
            return $"authenticator model {attested.Aaguid} is not one of the allowed AAGUIDs";
        }

        if (RequireUserVerification && !attested.UserVerified)
        {
            return "the enrollment did not verify the user (enroll with -O verify-required)";
        }

        return !AllowBackup && attested.Backup ? "the credential can be backed up or synced, which this role does not allow" : null;
    }
}
