using System.Security.Cryptography;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Hosts;

/// <summary>
/// How hosts get and keep their certificates outside the pipeline's own checks: one-time
/// bootstrap tokens for the first certificate, and renewal by proof of possession of the key a
/// current host certificate certifies (a challenge signed with SSHSIG, PROTOCOL.sshsig). The
/// certificates themselves are always issued by the <see cref="IssuingPipeline"/>.
/// </summary>
internal sealed class HostEnrollment(IBootstrapTokenStore audit, ICertificateStore certificates, Trust.TrustPublisher trust, RenewalChallenges challenges, TimeProvider time, RandomNumberGenerator random)
{
    /// <summary>The longest a bootstrap token lives: seven days.</summary>
    public const ulong MaxBootstrapValidity = 7 * 24 * 3600;

    private const string Expired = "unknown, used or expired challenge: call BeginHostRenewal again";

    /// <summary>A new token and its record.</summary>
    public sealed record CreatedToken(string Token, string Id, ulong ExpiresAt);

    /// <summary>What a proven renewal is: the host as a caller, and the request for its next certificate.</summary>
    public sealed record ProvenRenewal(CallerIdentity Caller, SshCertificate Current);

    /// <summary>A one-time bootstrap token for <paramref name="hostNames"/>, recorded before it is returned.</summary>
    /// <exception cref="InvalidRequestException">A host name or the validity is malformed.</exception>
    public async Task<CreatedToken> CreateBootstrapTokenAsync(CallerIdentity caller, IReadOnlyList<string> hostNames, ulong validitySeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(hostNames);
        if (hostNames.Count is 0 or > 32)
        {
            throw new InvalidRequestException("host_names", "between 1 and 32 host names are needed");
        }

        for (var i = 0; i < hostNames.Count; i++)
        {
            if (!IsHostName(hostNames[i]))
            {
                throw new InvalidRequestException($"host_names[{i}]", $"'{Quoted.Short(hostNames[i])}' is not a host name or address (letters, digits, '.', '-', ':'; no wildcards; at most 253 characters)");
            }
        }

        var validity = validitySeconds == 0 ? 3600UL : validitySeconds;
        if (validity > MaxBootstrapValidity)
        {
            throw new InvalidRequestException("validity_seconds", $"{validitySeconds} exceeds 7 days");
        }

        var now = Now();
        var (token, id, hash) = BootstrapTokenFormat.Create(random);
        await audit.CreateBootstrapTokenAsync(new BootstrapTokenRecord(id, hash, [.. hostNames], caller.Name, now, now + validity), cancellationToken).ConfigureAwait(false);
        return new CreatedToken(token, id, now + validity);
    }

    /// <summary>A renewal challenge for a current host certificate of this CA.</summary>
    /// <exception cref="InvalidRequestException">The certificate line is malformed.</exception>
    /// <exception cref="RefusedException">The certificate is not a current host certificate this CA issued.</exception>
    public async Task<RenewalChallenges.Challenge> BeginRenewalAsync(string certificateLine, CancellationToken cancellationToken) =>
        challenges.Begin(await CheckCurrentHostCertificateAsync(certificateLine, "certificate", cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Checks the proof (the armored SSHSIG by the certified key over the challenge) and uses the
    /// challenge once; the host then asks the pipeline as a caller authenticated by its certificate.
    /// </summary>
    /// <exception cref="InvalidRequestException">The signature is malformed.</exception>
    /// <exception cref="RefusedException">The challenge or the proof is refused.</exception>
    public async Task<ProvenRenewal> ProveRenewalAsync(string challengeId, string armoredSignature, string peer, CancellationToken cancellationToken)
    {
        SshSig proof;
        try
        {
            proof = SshSig.ParseArmored(armoredSignature);
        }
        catch (SshFormatException e)
        {
            throw new InvalidRequestException("signature", e.Message);
        }

        var serial = challenges.SerialOf(challengeId) ?? throw new RefusedException(Refusal.RenewalRefused, Expired);
        var record = await certificates.GetAsync(serial, cancellationToken).ConfigureAwait(false);
        if (record is not { Outcome: AuditOutcome.Issued, Certificate: { } line })
        {
            throw new RefusedException(Refusal.RenewalRefused, Expired);
        }

        var certificate = await CheckCurrentHostCertificateAsync(line, "challenge_id", cancellationToken).ConfigureAwait(false);
        var challenge = challenges.Open(challengeId, certificate) ?? throw new RefusedException(Refusal.RenewalRefused, Expired);
        if (!proof.Verifies(certificate.PublicKey, RenewalChallenges.Namespace, challenge.Message))
        {
            throw new RefusedException(Refusal.RenewalRefused, $"the signature is not by the certificate's key ({certificate.PublicKey.GetSha256Fingerprint()}) over the challenge in namespace {RenewalChallenges.Namespace}");
        }

        if (!challenges.TryUse(challenge))
        {
            throw new RefusedException(Refusal.RenewalRefused, Expired);
        }

        var host = "host:" + certificate.Principals[0];
        await audit.RecordAuthEventAsync(new AuthEvent(Now(), "host-renewal", $"serial {certificate.Serial}", host, peer, "accepted", string.Join(',', certificate.Principals)), CancellationToken.None).ConfigureAwait(false);
        var caller = new CallerIdentity
        {
            Method = AuthMethod.HostCertificate,
            Name = host,
            BoundHostNames = certificate.Principals,
            CredentialExpiresAt = certificate.ValidBefore,
        };
        return new ProvenRenewal(caller, certificate);
    }

    /// <summary>A host certificate this CA issued (recorded in the audit log), signed by the host CA and valid now.</summary>
    private async Task<SshCertificate> CheckCurrentHostCertificateAsync(string line, string field, CancellationToken cancellationToken)
    {
        SshCertificate certificate;
        try
        {
            certificate = SshCertificate.ParseLine(line);
        }
        catch (SshFormatException e)
        {
            throw new InvalidRequestException(field, e.Message);
        }

        var now = Now();
        string? problem = null;
        if (certificate.Type != SshCertificateType.Host)
        {
            problem = "is a user certificate, not a host certificate";
        }
        else if (!await trust.InForceAsync(SshCertificateType.Host, certificate.SignatureKey, cancellationToken).ConfigureAwait(false) || certificate.VerifySignature() != SignatureVerification.Valid)
        {
            // Any host CA key in force (next, active, retired; this appliance's or another's on the
            // same store) renews: a rotation moves hosts to the new key.
            problem = "is not signed by one of this CA's host keys in force";
        }
        else if (!certificate.IsValidAt(now))
        {
            problem = certificate.ValidBefore <= now ? "has expired; bootstrap the host again" : "is not valid yet";
        }
        else if (certificate.PrincipalCount == 0)
        {
            problem = "names no host";
        }
        else if (await certificates.GetAsync(certificate.Serial, cancellationToken).ConfigureAwait(false) is not { Outcome: AuditOutcome.Issued } record
            || !string.Equals(record.Certificate, certificate.ToOpenSshLine(), StringComparison.Ordinal))
        {
            problem = $"(serial {certificate.Serial}) is not in this CA's audit log";
        }

        return problem is null ? certificate : throw new RefusedException(Refusal.RenewalRefused, "the certificate " + problem);
    }

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    private static bool IsHostName(string name) =>
        name.Length is > 0 and <= 253 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':') && name[0] != '-' && name[0] != '.';

}
