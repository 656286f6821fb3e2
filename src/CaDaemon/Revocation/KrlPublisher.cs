using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>
/// The KRL every host and client installs: built from the recorded revocations when their
/// version changes, and signed out of band with SSHSIG (PROTOCOL.sshsig) by the user CA key on
/// the hardware, once per version, so that a host can check where a KRL came from before it
/// installs it ("ssh-keygen -Y verify -n krl@ssh-hsm-ca" with the user CA key it already trusts).
/// The generation date is the time of the last change, so every appliance on one store builds the
/// same bytes for the same version. Serials of expired certificates stay in it: a KRL of a million
/// serials is a few megabytes at most (docs/benchmarks.md), and dropping them would change a
/// version's bytes after the fact.
/// </summary>
internal sealed partial class KrlPublisher(IAuditStore audit, CaKeySet keys, CaMetrics metrics, ILogger<KrlPublisher> logger) : IDisposable
{
    /// <summary>The SSHSIG namespace of KRL signatures.</summary>
    public const string Namespace = "krl@ssh-hsm-ca";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private SignedKrl? _current;

    /// <summary>The current KRL, signed; rebuilt and signed once when the version changed.</summary>
    /// <exception cref="Hsm.HsmException">The user CA key could not sign a new version.</exception>
    public async Task<SignedKrl> CurrentAsync(CancellationToken cancellationToken)
    {
        var version = await audit.KrlVersionAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } cached && cached.Version == version)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await audit.ReadKrlContentAsync(cancellationToken).ConfigureAwait(false);
            if (_current is { } other && other.Version == content.Version)
            {
                return other;
            }

            var bytes = Build(content, keys).Encode();
            var signed = SshSig.SignedData(Namespace, "sha512", bytes);
            var signature = await keys.User.SignAsync(signed, cancellationToken).ConfigureAwait(false);
            var armored = SshSig.Create(keys.User.PublicKey, Namespace, "sha512", signature, bytes).ToArmored();
            metrics.KrlSignatures.Inc();
            var made = new SignedKrl(content.Version, content.ChangedAt, bytes, armored, keys.User.PublicKey.ToOpenSshLine("ssh-hsm-ca user CA"));
            Volatile.Write(ref _current, made);
            LogSigned(logger, content.Version, bytes.Length, content.Items.Count);
            return made;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The KRL for the recorded entries: the user CA's section first, then the host CA's, then keys.</summary>
    public static SshKrl Build(KrlContent content, CaKeySet keys)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(keys);
        var builder = new SshKrlBuilder();
        foreach (var type in new[] { SshCertificateType.User, SshCertificateType.Host })
        {
            var ca = keys.For(type).PublicKey;
            foreach (var item in content.Items.Where(i => i.Kind == RevokedKind.Serial && i.Ca == type))
            {
                builder.RevokeSerials(ca, item.SerialLo, item.SerialHi);
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

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "KRL version {Version} built and signed ({Bytes} bytes, {Items} entries)")]
    private static partial void LogSigned(ILogger logger, ulong version, int bytes, int items);
}
