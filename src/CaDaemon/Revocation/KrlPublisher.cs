using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;

namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>
/// The KRL every host and client installs: built from the recorded revocations when their
/// version changes, and signed out of band with SSHSIG (PROTOCOL.sshsig) by the user CA key on
/// the hardware, once per version, so that a host can check where a KRL came from before it
/// installs it ("ssh-keygen -Y verify -n krl@ssh-hsm-ca" with the user CA key it already trusts).
/// The generation date is the time of the last change, so every appliance on one store builds the
/// same bytes for the same version. Serials of certificates that expired more than a day before a
/// version's time are left out (<see cref="KrlPruneService"/> starts a new version when some
/// expire): sshd reads the whole KRL at every login, ssh-keygen -Q takes 6 s on a million sparse
/// serials (docs/benchmarks.md).
/// </summary>
internal sealed partial class KrlPublisher(IRevocationStore audit, CaKeySet keys, CaMetrics metrics, ILogger<KrlPublisher> logger) : IDisposable
{
    private readonly OncePerVersion<SignedKrl> _signed = new(k => k.Version);

    /// <summary>The current KRL, signed; rebuilt and signed once when the version changed.</summary>
    /// <exception cref="Hsm.HsmException">The user CA key could not sign a new version.</exception>
    public async Task<SignedKrl> CurrentAsync(CancellationToken cancellationToken) =>
        await _signed.GetAsync(await audit.KrlVersionAsync(cancellationToken).ConfigureAwait(false), SignAsync, cancellationToken).ConfigureAwait(false);

    private async Task<SignedKrl> SignAsync(CancellationToken cancellationToken)
    {
        var content = await audit.ReadKrlContentAsync(cancellationToken).ConfigureAwait(false);
        var bytes = Build(content, keys).Encode();
        var armored = await DetachedSignature.SignAsync(keys.User, Protos.V1.KrlSignature.Namespace, bytes, cancellationToken).ConfigureAwait(false);
        metrics.KrlSignatures.Inc();
        LogSigned(logger, content.Version, bytes.Length, content.Items.Count);
        return new SignedKrl(content.Version, content.ChangedAt, bytes, armored, Ssh.Trust.TrustLines.UserCaKey(keys.User.PublicKey));
    }

    /// <summary>The KRL for the recorded entries: the user CA's section first, then the host CA's, then keys.</summary>
    public static SshKrl Build(KrlContent content, CaKeySet keys)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(keys);
        var builder = new SshKrlBuilder();
        foreach (var type in new[] { SshCertificateType.User, SshCertificateType.Host })
        {
            // Serials are unique across a CA's keys, so a revoked serial is revoked under every key
            // in force (a certificate of the retired key and one of the active key both meet it),
            // on every appliance: the keys are those of the trust set read with the content, so
            // that every appliance builds the same bytes for a version.
            var expired = content.Expired.Where(e => e.Ca == type).Select(e => e.Serial).ToList();
            var inForce = content.Trust?.Parse().Trusted(type) ?? keys.NotRevoked(type);
            foreach (var ca in inForce)
            {
                foreach (var item in content.Items.Where(i => i.Kind == RevokedKind.Serial && i.Ca == type))
                {
                    foreach (var (lo, hi) in Without(item.SerialLo, item.SerialHi, expired))
                    {
                        builder.RevokeSerials(ca, lo, hi);
                    }
                }
            }
        }

        foreach (var item in content.Items)
        {
            switch (item.Kind)
            {
                case RevokedKind.Key or RevokedKind.CaKey:
                    builder.RevokeKey(SshPublicKey.ParseLine(item.Value));
                    break;
                case RevokedKind.KeySha256:
                    builder.RevokeSha256(Convert.FromBase64String(item.Value["SHA256:".Length..] + "="));
                    break;
            }
        }

        return builder.Build(content.Version, content.ChangedAt, $"ssh-hsm-ca KRL version {content.Version}");
    }

    /// <summary>The range lo..hi without the serials of <paramref name="sortedOut"/> (sorted), as ranges.</summary>
    private static IEnumerable<(ulong Lo, ulong Hi)> Without(ulong lo, ulong hi, List<ulong> sortedOut)
    {
        var index = sortedOut.BinarySearch(lo);
        index = index < 0 ? ~index : index;
        var start = lo;
        for (; index < sortedOut.Count && sortedOut[index] <= hi; index++)
        {
            var gap = sortedOut[index];
            if (gap > start)
            {
                yield return (start, gap - 1);
            }

            if (gap == ulong.MaxValue)
            {
                yield break;
            }

            start = gap + 1;
        }

        if (start <= hi && start >= lo)
        {
            yield return (start, hi);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _signed.Dispose();

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "KRL version {Version} built and signed ({Bytes} bytes, {Items} entries)")]
    private static partial void LogSigned(ILogger logger, ulong version, int bytes, int items);
}
