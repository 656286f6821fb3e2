using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Host renewal challenges: a fresh random message per request, bound to the presented
/// certificate, kept in memory for two minutes and usable once. The host signs the message with
/// the key behind the certificate (<c>ssh-keygen -Y sign -n <see cref="Namespace"/></c>).
/// </summary>
public sealed class RenewalChallenges(TimeProvider time, RandomNumberGenerator random)
{
    /// <summary>The SSHSIG namespace of renewal proofs; no other signature can be replayed here.</summary>
    public const string Namespace = "renew@ssh-hsm-ca";

    /// <summary>How long a challenge stays usable.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private const int MaxPending = 10_000;
    private readonly ConcurrentDictionary<string, Challenge> _pending = new(StringComparer.Ordinal);

    /// <summary>A challenge waiting for its proof.</summary>
    public sealed record Challenge(string Id, SshCertificate Certificate, byte[] Message, ulong ExpiresAt);

    /// <summary>A new challenge for <paramref name="certificate"/> (already checked as ours and valid).</summary>
    public Challenge Begin(SshCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        if (_pending.Count >= MaxPending)
        {
            foreach (var stale in _pending.Where(p => p.Value.ExpiresAt <= now).Select(p => p.Key).ToList())
            {
                _pending.TryRemove(stale, out _);
            }

            if (_pending.Count >= MaxPending)
            {
                throw new InvalidOperationException("too many renewals in progress; retry in a minute");
            }
        }

        var nonce = new byte[32];
        random.GetBytes(nonce);
        var id = Convert.ToHexStringLower(nonce.AsSpan(0, 12));
        var expires = now + (ulong)Lifetime.TotalSeconds;
        var message = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"ssh-hsm-ca host renewal v1\nchallenge {Convert.ToBase64String(nonce)}\ncertificate-serial {certificate.Serial}\nhost-key {certificate.PublicKey.GetSha256Fingerprint()}\nexpires {expires}\n"));
        var challenge = new Challenge(id, certificate, message, expires);
        _pending[id] = challenge;
        return challenge;
    }

    /// <summary>Takes the challenge (once): null when unknown, used or expired.</summary>
    public Challenge? Take(string id)
    {
        if (string.IsNullOrEmpty(id) || !_pending.TryRemove(id, out var challenge))
        {
            return null;
        }

        return challenge.ExpiresAt > (ulong)time.GetUtcNow().ToUnixTimeSeconds() ? challenge : null;
    }
}
