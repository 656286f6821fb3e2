using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace SshHsmCa.CaDaemon.SecurityKeys;

/// <summary>
/// Single-use, short-lived enrollment challenges bound to the caller, stateless until used: the
/// challenge is expiry (8) ‖ nonce (16) ‖ HMAC-SHA256(key, caller ‖ expiry ‖ nonce) (32) under a key
/// that lives only in this process, so a flood of BeginKeyEnrollment calls stores nothing and
/// another caller's challenge does not verify. Single use is enforced when an enrollment
/// verifies, by remembering the nonce until it expires (one appliance: a challenge begun on
/// one appliance must be used on the same one).
/// </summary>
internal sealed class EnrollmentChallenges(TimeProvider time, RandomNumberGenerator random, TimeSpan lifetime) : IDisposable
{
    public const int Length = 8 + 16 + 32;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, ulong> _used = new(StringComparer.Ordinal);
    private int _usesSincePrune;

    /// <summary>A new challenge for <paramref name="caller"/> and its expiry (Unix seconds).</summary>
    public (byte[] Challenge, ulong ExpiresAt) Begin(string caller)
    {
        var challenge = new byte[Length];
        var expires = Now() + (ulong)lifetime.TotalSeconds;
        BinaryPrimitives.WriteUInt64BigEndian(challenge, expires);
        random.GetBytes(challenge.AsSpan(8, 16));
        Mac(caller, challenge.AsSpan(0, 24), challenge.AsSpan(24));
        return (challenge, expires);
    }

    /// <summary>Why <paramref name="challenge"/> is not a live challenge of <paramref name="caller"/>, or null when it is.</summary>
    public string? Check(string caller, ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length != Length)
        {
            return "not a challenge from BeginKeyEnrollment";
        }

        Span<byte> expected = stackalloc byte[32];
        Mac(caller, challenge[..24], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, challenge[24..]))
        {
            return "not a challenge this appliance gave this caller";
        }

        return BinaryPrimitives.ReadUInt64BigEndian(challenge) <= Now() ? "the challenge expired: begin the enrollment again" : null;
    }

    /// <summary>Marks a checked challenge used; false when it was used before.</summary>
    public bool TryUse(ReadOnlySpan<byte> challenge)
    {
        // Expired nonces go every 256 uses, not at each one (a scan per enrollment would be O(n)).
        if (Interlocked.Increment(ref _usesSincePrune) >= 256)
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

        return _used.TryAdd(Convert.ToHexString(challenge.Slice(8, 16)), BinaryPrimitives.ReadUInt64BigEndian(challenge));
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private void Mac(string caller, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        byte[] input = [.. Encoding.UTF8.GetBytes(caller), 0, .. body];
        HMACSHA256.HashData(_key, input, destination);
    }

    private ulong Now() => (ulong)time.GetUtcNow().ToUnixTimeSeconds();
}
