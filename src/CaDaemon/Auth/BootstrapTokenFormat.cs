using System.Security.Cryptography;
using System.Text;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Bootstrap tokens: <c>shcbt_&lt;id&gt;_&lt;secret&gt;</c>, a 12-hex-digit id (public, in audit
/// records) and a 256-bit secret (base64url) of which the daemon keeps only the SHA-256.
/// </summary>
internal static class BootstrapTokenFormat
{
    private const string Prefix = "shcbt_";

    /// <summary>A new token and the parts to store.</summary>
    public static (string Token, string Id, byte[] SecretSha256) Create(RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var idBytes = new byte[6];
        var secret = new byte[32];
        random.GetBytes(idBytes);
        random.GetBytes(secret);
        var id = Convert.ToHexStringLower(idBytes);
        var secretText = Base64Url(secret);
        return ($"{Prefix}{id}_{secretText}", id, SHA256.HashData(Encoding.ASCII.GetBytes(secretText)));
    }

    /// <summary>Splits a presented token, or null when it is not one of ours.</summary>
    public static (string Id, byte[] SecretSha256)? Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length != Prefix.Length + 12 + 1 + 43 || !token.StartsWith(Prefix, StringComparison.Ordinal) || token[Prefix.Length + 12] != '_')
        {
            return null;
        }

        var id = token.Substring(Prefix.Length, 12);
        var secret = token[(Prefix.Length + 13)..];
        if (!id.All(char.IsAsciiHexDigitLower) || !secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return null;
        }

        return (id, SHA256.HashData(Encoding.ASCII.GetBytes(secret)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
