using System.Security.Cryptography;
using NSec.Cryptography;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli;

/// <summary>A fresh Ed25519 key pair for <c>login</c>: it lives in ssh-agent, on disk only when asked.</summary>
internal sealed class Ed25519KeyPair : IDisposable
{
    private readonly byte[] _seed;

    private Ed25519KeyPair(byte[] seed, byte[] publicKey)
    {
        _seed = seed;
        PublicKeyBytes = publicKey;
        var blob = new SshWriter(64);
        blob.WriteString("ssh-ed25519");
        blob.WriteString(publicKey);
        PublicKey = SshPublicKey.ParseBlob(blob.ToArray());
    }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKeyBytes { get; }

    /// <summary>The public key as an SSH key.</summary>
    public SshPublicKey PublicKey { get; }

    /// <summary>The 32-byte private seed.</summary>
    public ReadOnlySpan<byte> Seed => _seed;

    /// <summary>Generates a key pair with the system's CSPRNG (NSec/libsodium).</summary>
    public static Ed25519KeyPair Generate()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519KeyPair(key.Export(KeyBlobFormat.RawPrivateKey), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The unencrypted <c>openssh-key-v1</c> private key file ssh and ssh-keygen read.</summary>
    public string ToOpenSshPrivateKey(string comment)
    {
        var check = new byte[4];
        RandomNumberGenerator.Fill(check);
        var secret = new byte[64];
        _seed.CopyTo(secret, 0);
        PublicKeyBytes.CopyTo(secret, 32);
        var inner = new SshWriter(256);
        inner.WriteRaw(check);
        inner.WriteRaw(check);
        inner.WriteString("ssh-ed25519");
        inner.WriteString(PublicKeyBytes);
        inner.WriteString(secret);
        inner.WriteString(comment);
        for (byte pad = 1; inner.Length % 8 != 0; pad++)
        {
            inner.WriteByte(pad);
        }

        var outer = new SshWriter(512);
        outer.WriteRaw("openssh-key-v1\0"u8);
        outer.WriteString("none");
        outer.WriteString("none");
        outer.WriteString(ReadOnlySpan<byte>.Empty);
        outer.WriteUInt32(1);
        outer.WriteString(PublicKey.Blob.Span);
        outer.WriteString(inner.WrittenSpan);
        var base64 = Convert.ToBase64String(outer.WrittenSpan);
        CryptographicOperations.ZeroMemory(secret);
        var lines = Enumerable.Range(0, (base64.Length + 69) / 70).Select(i => base64.Substring(i * 70, Math.Min(70, base64.Length - (i * 70))));
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + string.Join('\n', lines) + "\n-----END OPENSSH PRIVATE KEY-----\n";
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_seed);
}
