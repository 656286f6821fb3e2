namespace SshHsmCa.CaDaemon.SecurityKeys;

/// <summary>
/// <c>securityKeys</c> in the configuration (issue 29): the attestation roots that security-key
/// enrollments must chain to, as PEM files. Nothing is trusted by default; for YubiKeys, point
/// <see cref="AttestationRoots"/> at the roots file Yubico publishes (docs/security-keys.md).
/// </summary>
internal sealed class SecurityKeyOptions
{
    /// <summary>PEM file of pinned attestation roots (required to enroll).</summary>
    public string? AttestationRoots { get; set; }

    /// <summary>PEM file of intermediates that chains may pass through (the attestation carries only the leaf).</summary>
    public string? AttestationIntermediates { get; set; }

    /// <summary>How long an enrollment challenge stays usable, seconds (default 300).</summary>
    public int ChallengeSeconds { get; set; } = 300;

    /// <summary>The certificates of a PEM file; none for no file. Throws naming the field when the file is unreadable or holds none.</summary>
    public static IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> Load(string? path, string field)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }

        var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"$.securityKeys.{field}: {path}: {e.Message}", e);
        }

        return certificates.Count > 0 ? [.. certificates] : throw new InvalidOperationException($"$.securityKeys.{field}: {path} holds no PEM certificate");
    }
}
