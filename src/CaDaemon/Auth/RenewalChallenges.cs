using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Host renewal challenges, stateless until redeemed (issue 13: a flood of unauthenticated
/// BeginHostRenewal calls must not deny anyone else). The challenge id carries the certificate's
/// serial, the expiry and a random nonce, authenticated by an HMAC under a key that lives only in
/// this process; the message the host signs (<c>ssh-keygen -Y sign -n <see cref="Namespace"/></c>)
/// is derived from it. Nothing is stored when a challenge is handed out; single use is enforced
/// at redemption, after the proof of possession verified, by remembering the nonce until it expires.
/// </summary>
internal sealed class RenewalChallenges : IDisposable
{
    /// <summary>The SSHSIG namespace of renewal proofs; no other signature can be replayed here.</summary>
    public const string Namespace = "renew@ssh-hsm-ca";

    /// <summary>How long a challenge stays usable.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private const int NonceLength = 16;
    private const int MacLength = 32;
    private const int IdLength = 8 + 8 + NonceLength + MacLength;
    private const int PruneEvery = 1024;
    private readonly byte[] _key = new byte[32];
    private readonly ConcurrentDictionary<string, ulong> _used = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly RandomNumberGenerator _random;
    private int _usesSincePrune;

    /// <summary>A new set of challenges with a fresh key (challenges of an earlier process are not accepted).</summary>
    public RenewalChallenges(TimeProvider time, RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _time = time;
        _random = random;
        random.GetBytes(_key);
    }

    /// <summary>A challenge: its id (for the client to send back), the message to sign and its expiry.</summary>
    public sealed record Challenge(string Id, ulong Serial, byte[] Message, ulong ExpiresAt, string Nonce);

    /// <summary>A new challenge for <paramref name="certificate"/> (already checked as ours and valid). Stores nothing.</summary>
    public Challenge Begin(SshCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var expires = Now() + (ulong)Lifetime.TotalSeconds;
        Span<byte> nonce = stackalloc byte[NonceLength];
        _random.GetBytes(nonce);
        var id = new byte[IdLength];
        BinaryPrimitives.WriteUInt64BigEndian(id, certificate.Serial);
        BinaryPrimitives.WriteUInt64BigEndian(id.AsSpan(8), expires);
        nonce.CopyTo(id.AsSpan(16));
        Mac(id.AsSpan(0, 16 + NonceLength), certificate.PublicKey.GetSha256Fingerprint(), id.AsSpan(16 + NonceLength));
        return Describe(id, certificate);
    }

    /// <summary>
    /// The serial a challenge id names, when the id is well formed and unexpired (its MAC is checked
    /// by <see cref="Open"/>, which needs the certificate); null otherwise.
    /// </summary>
    public ulong? SerialOf(string id) => Decode(id) is { } raw && BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(8)) > Now()
        ? BinaryPrimitives.ReadUInt64BigEndian(raw)
        : null;

    /// <summary>
    /// The challenge <paramref name="id"/> names, when this process issued it for
    /// <paramref name="certificate"/> and it has not expired; null otherwise. Does not use it.
    /// </summary>
    public Challenge? Open(string id, SshCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (Decode(id) is not { } raw || BinaryPrimitives.ReadUInt64BigEndian(raw) != certificate.Serial || BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(8)) <= Now())
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(raw.AsSpan(0, 16 + NonceLength), certificate.PublicKey.GetSha256Fingerprint(), expected);
        return CryptographicOperations.FixedTimeEquals(expected, raw.AsSpan(16 + NonceLength)) ? Describe(raw, certificate) : null;
    }

    /// <summary>
    /// Marks the challenge used; false when it was used already. Call only after the proof of
    /// possession verified, so only a host holding its key can add to what is remembered.
    /// </summary>
    public bool TryUse(Challenge challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        if (!_used.TryAdd(challenge.Nonce, challenge.ExpiresAt))
        {
            return false;
        }

        if (Interlocked.Increment(ref _usesSincePrune) >= PruneEvery)
        {
            Interlocked.Exchange(ref _usesSincePrune, 0);
            var now = Now();
            foreach (var (nonce, expires) in _used)
            {
                if (expires <= now)
                {
                    _used.TryRemove(nonce, out _);
                }
            }
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private static Challenge Describe(byte[] raw, SshCertificate certificate)
    {
        var expires = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(8));
        var nonce = Convert.ToBase64String(raw.AsSpan(16, NonceLength));
        var message = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"ssh-hsm-ca host renewal v1\nchallenge {nonce}\ncertificate-serial {certificate.Serial}\nhost-key {certificate.PublicKey.GetSha256Fingerprint()}\nexpires {expires}\n"));
        return new Challenge(Base64Url(raw), certificate.Serial, message, expires, nonce);
    }

    private void Mac(ReadOnlySpan<byte> body, string hostKeyFingerprint, Span<byte> destination)
    {
        var fingerprint = Encoding.UTF8.GetBytes(hostKeyFingerprint);
        var input = new byte[body.Length + fingerprint.Length];
        body.CopyTo(input);
        fingerprint.CopyTo(input.AsSpan(body.Length));
        HMACSHA256.HashData(_key, input, destination);
    }

    private static byte[]? Decode(string? id)
    {
        // base64url without padding, exact length: anything else is not ours.
        if (id is null || id.Length != (IdLength * 4 + 2) / 3)
        {
            return null;
        }

        var padded = id.Replace('-', '+').Replace('_', '/') + new string('=', (4 - id.Length % 4) % 4);
        var raw = new byte[IdLength];
        return Convert.TryFromBase64String(padded, raw, out var written) && written == IdLength && Base64Url(raw) == id ? raw : null;
    }

    private static string Base64Url(ReadOnlySpan<byte> raw) => Convert.ToBase64String(raw).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private ulong Now() => (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
}
