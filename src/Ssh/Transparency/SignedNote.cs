using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Transparency;

/// <summary>
/// A C2SP signed-note with Ed25519 signatures: the text (ending in a newline), an empty line, then
/// one line per signature, <c>— NAME base64(key id ‖ signature)</c>, where the key id is the first
/// four bytes of SHA-256(NAME ‖ "\n" ‖ 0x01 ‖ public key) and the signature is Ed25519 over the
/// text. Several signers (appliances) each add a line. What golang.org/x/mod/sumdb/note reads.
/// </summary>
public static class SignedNote
{
    /// <summary>Ed25519's signature type in a key id.</summary>
    public const byte Ed25519Type = 0x01;

    /// <summary>The longest note read.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The key id of <paramref name="name"/> with this Ed25519 <paramref name="publicKey"/>.</summary>
    public static byte[] KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        CheckName(name);
        return SHA256.HashData([.. Encoding.UTF8.GetBytes(name), (byte)'\n', Ed25519Type, .. publicKey])[..4];
    }

    /// <summary>The verifier key string <c>NAME+hex(key id)+base64(0x01 ‖ public key)</c>, as note.NewVerifier reads it.</summary>
    public static string VerifierKey(string name, ReadOnlySpan<byte> publicKey) =>
        $"{name}+{Convert.ToHexStringLower(KeyId(name, publicKey))}+{Convert.ToBase64String([Ed25519Type, .. publicKey])}";

    /// <summary>
    /// Reads a verifier key <c>NAME+hex(key id)+base64(0x01 ‖ public key)</c> (what
    /// <see cref="VerifierKey"/> writes and note.NewVerifier reads); the key id must be the key's.
    /// </summary>
    public static (string Name, Ed25519PublicKey Key) ParseVerifierKey(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var parts = verifierKey.Trim().Split('+', 3);
        if (verifierKey.Length > 1024 || parts.Length != 3 || parts[0].Length == 0 || parts[0].Any(c => c is ' ' || char.IsControl(c)) || parts[1].Length != 8)
        {
            throw new SshFormatException("verifier_key", "not NAME+KEYID+KEY (sumdb/note's verifier key form)");
        }

        byte[] id;
        byte[] key;
        try
        {
            id = Convert.FromHexString(parts[1]);
            key = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            throw new SshFormatException("verifier_key", "the key id is not hex or the key is not base64");
        }

        if (key.Length != 33 || key[0] != Ed25519Type)
        {
            throw new SshFormatException("verifier_key", "not an Ed25519 key (type 0x01 and 32 bytes)");
        }

        var publicKey = Ed25519PublicKey.Create(key.AsSpan(1));
        return KeyId(parts[0], key.AsSpan(1)).AsSpan().SequenceEqual(id)
            ? (parts[0], publicKey)
            : throw new SshFormatException("verifier_key", "the key id does not match the name and key");
    }

    /// <summary>A signature line for <paramref name="text"/> made with <paramref name="sign"/> (Ed25519 over the text's bytes).</summary>
    public static string SignatureLine(string text, string name, ReadOnlySpan<byte> publicKey, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        CheckText(text);
        var signature = sign(Encoding.UTF8.GetBytes(text));
        if (signature.Length != 64)
        {
            throw new CryptographicException("an Ed25519 signature is 64 bytes");
        }

        return $"\u2014 {name} {Convert.ToBase64String([.. KeyId(name, publicKey), .. signature])}\n";
    }

    /// <summary>The note: the text, an empty line, the signature lines.</summary>
    public static string Compose(string text, IEnumerable<string> signatureLines)
    {
        CheckText(text);
        return text + "\n" + string.Concat(signatureLines);
    }

    /// <summary>Splits a note into its text and signature lines (name, key id, signature); strict.</summary>
    public static (string Text, IReadOnlyList<(string Name, byte[] KeyId, byte[] Signature)> Signatures) Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.Length > MaxLength)
        {
            throw new SshFormatException("note", $"longer than {MaxLength} characters");
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new SshFormatException("note", "no empty line between the text and the signatures, or no final newline");
        }

        var text = note[..(split + 1)];
        var signatureLines = note[(split + 2)..];
        if (signatureLines.Length == 0)
        {
            // Found by the fuzz smoke: "text\n\n" cut an empty range out of its end.
            throw new SshFormatException("note", "no signature");
        }

        var signatures = new List<(string, byte[], byte[])>();
        foreach (var line in signatureLines[..^1].Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "\u2014")
            {
                throw new SshFormatException("note.signature", "not a line '\u2014 NAME SIGNATURE'");
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(parts[2]);
            }
            catch (FormatException)
            {
                throw new SshFormatException("note.signature", "not base64");
            }

            if (bytes.Length < 5)
            {
                throw new SshFormatException("note.signature", "shorter than a key id and a signature");
            }

            signatures.Add((parts[1], bytes[..4], bytes[4..]));
        }

        return signatures.Count > 0 ? (text, signatures) : throw new SshFormatException("note", "no signature");
    }

    /// <summary>The note's text when it carries a valid signature by <paramref name="name"/> with this Ed25519 key; otherwise throws naming what failed.</summary>
    public static string Verify(string note, string name, Ed25519PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var (text, signatures) = Parse(note);
        var id = KeyId(name, key.PublicKey.Span);
        var mine = signatures.Where(s => s.Name == name && s.KeyId.AsSpan().SequenceEqual(id)).ToList();
        if (mine.Count == 0)
        {
            throw new CryptographicException($"the note has no signature by {name} with key id {Convert.ToHexStringLower(id)}");
        }

        var data = Encoding.UTF8.GetBytes(text);
        return mine.Any(s => Signatures.Ed25519.Verify(key, data, s.Signature))
            ? text
            : throw new CryptographicException($"the signature by {name} does not verify");
    }

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Any(c => c is ' ' or '+' or '\n' || char.IsControl(c)))
        {
            throw new ArgumentException("a note signer's name has no spaces, plus signs or control characters", nameof(name));
        }
    }

    private static void CheckText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || !text.EndsWith('\n') || text.Contains("\n\n", StringComparison.Ordinal))
        {
            throw new ArgumentException("a note's text is non-empty, ends with a newline and has no empty line", nameof(text));
        }
    }
}
