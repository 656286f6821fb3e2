using NSec.Cryptography;

namespace SshHsmCa.Ssh.Signatures;

/// <summary>
/// Ed25519 verification (RFC 8032), which .NET 10 does not provide. NSec (libsodium) was chosen
/// over BouncyCastle by measurement (bench/Ssh.Benchmarks, docs/benchmarks.md): 53 µs against
/// 87 µs per verification of a typical certificate, and no allocation against 6 KB. libsodium's
/// verify rejects non-canonical S, non-canonical and small-order public keys and R values.
/// The tests sign with BouncyCastle, so every Ed25519 test crosses two implementations.
/// </summary>
internal static class Ed25519
{
    public static bool Verify(Keys.Ed25519PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && key.NSecKey is { } publicKey && SignatureAlgorithm.Ed25519.Verify(publicKey, data, signature);

    /// <summary>Imports a raw 32-byte key; null when libsodium refuses it.</summary>
    public static PublicKey? Import(ReadOnlySpan<byte> publicKey) =>
        PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) ? key : null;
}
