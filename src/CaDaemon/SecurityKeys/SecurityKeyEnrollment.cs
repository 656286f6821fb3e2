using System.Security.Cryptography.X509Certificates;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.Policy;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.SecurityKeys;

namespace SshHsmCa.CaDaemon.SecurityKeys;

/// <summary>
/// Security-key enrollment (issue 29): a challenge bound to the caller, then the key with the
/// attestation ssh-keygen wrote over that challenge, verified (<see cref="AttestationVerifier"/>)
/// against the configured roots and recorded durably with what it proved. Which models, UV and
/// backup a certificate needs is policy's decision at issuance (keys.requireAttestation…), made
/// against this record; enrollment itself checks the proof, not the role.
/// </summary>
internal sealed class SecurityKeyEnrollment(ISecurityKeyStore store, EnrollmentChallenges challenges, IReadOnlyList<X509Certificate2> roots, IReadOnlyList<X509Certificate2> intermediates, TimeProvider time, JournalAuditEvents? journal)
{
    /// <summary>Largest attestation file accepted.</summary>
    public const int MaxAttestation = SkAttestation.MaxLength;

    /// <summary>A challenge for the caller's authenticator.</summary>
    public (byte[] Challenge, ulong ExpiresAt) Begin(CallerIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (roots.Count == 0)
        {
            throw new RefusedException(Refusal.EnrollmentNotConfigured, "security-key enrollment is not configured: securityKeys.attestationRoots names no roots");
        }

        return challenges.Begin(Binding(caller));
    }

    /// <summary>Verifies and records an enrollment; the same caller enrolling the same key again gets the record back.</summary>
    /// <exception cref="InvalidRequestException">A field is malformed.</exception>
    /// <exception cref="RefusedException">The challenge or the attestation does not prove what it must.</exception>
    public async Task<SecurityKeyRecord> EnrollAsync(CallerIdentity caller, string publicKey, ReadOnlyMemory<byte> attestation, ReadOnlyMemory<byte> challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        SshPublicKey key;
        try
        {
            key = SshPublicKey.ParseLine(publicKey);
        }
        catch (SshFormatException e)
        {
            throw new InvalidRequestException("public_key", e.Problem);
        }

        if (attestation.Length is 0 or > MaxAttestation)
        {
            throw new InvalidRequestException("attestation", $"{attestation.Length} bytes: the file ssh-keygen -O write-attestation wrote is needed (at most {MaxAttestation} bytes)");
        }

        if (challenges.Check(Binding(caller), challenge.Span) is { } why)
        {
            throw new RefusedException(Refusal.ChallengeInvalid, "challenge: " + why);
        }

        AttestedKey attested;
        try
        {
            attested = AttestationVerifier.Verify(key, attestation.Span, challenge.Span, new AttestationPolicy
            {
                Roots = roots,
                Intermediates = intermediates,
                AllowBackup = true,
                Now = time.GetUtcNow(),
            });
        }
        catch (AttestationRefusedException e)
        {
            Send(caller, key, "refused", e.Reason.ToString());
            throw new RefusedException(Refusal.AttestationRefused, $"attestation refused ({e.Reason}): {e.Message}");
        }

        // Used only once the proof verified, so only a caller with an authenticator adds to what is remembered.
        if (!challenges.TryUse(challenge.Span))
        {
            throw new RefusedException(Refusal.ChallengeInvalid, "challenge: used already: begin the enrollment again");
        }

        var record = new SecurityKeyRecord(key.GetSha256Fingerprint(), caller.Name, key.ToOpenSshLine(), attested.Aaguid, attested.UserVerified, attested.Backup,
            attested.Format, attested.CertificateSubject, attested.CertificateSerial, attested.RootSubject, (ulong)time.GetUtcNow().ToUnixTimeSeconds());
        if (!await store.EnrollSecurityKeyAsync(record, cancellationToken).ConfigureAwait(false))
        {
            var existing = await store.FindSecurityKeyAsync(record.Fingerprint, cancellationToken).ConfigureAwait(false);
            if (existing is null || !string.Equals(existing.Caller, caller.Name, StringComparison.Ordinal))
            {
                throw new RefusedException(Refusal.AttestationRefused, "this key is enrolled by another caller");
            }

            return existing;
        }

        Send(caller, key, "enrolled", $"{attested.Aaguid} uv={attested.UserVerified}");
        return record;
    }

    /// <summary>What the key's enrollment proved, for policy; null when the key was not enrolled.</summary>
    public async Task<KeyAttestation?> AttestationOfAsync(SshPublicKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.IsSecurityKey && await store.FindSecurityKeyAsync(key.GetSha256Fingerprint(), cancellationToken).ConfigureAwait(false) is { } record
            ? new KeyAttestation(record.Aaguid, record.UserVerified, record.Backup)
            : null;
    }

    /// <summary>What a challenge is bound to: how the caller authenticated and its name (a socket user and an SSO user may share a name).</summary>
    private static string Binding(CallerIdentity caller) => AuthMethods.Name(caller.Method) + ":" + caller.Name;

    private void Send(CallerIdentity caller, SshPublicKey key, string outcome, string detail) =>
        journal?.Send(outcome == "enrolled" ? 6 : 4, $"security key {outcome}: {key.GetSha256Fingerprint()} by {caller.Name} ({detail})",
            [("SECURITY_KEY_FINGERPRINT", key.GetSha256Fingerprint()), ("CALLER", caller.Name), ("AUTH_METHOD", AuthMethods.Name(caller.Method)), ("OUTCOME", outcome), ("DETAIL", detail)]);
}
