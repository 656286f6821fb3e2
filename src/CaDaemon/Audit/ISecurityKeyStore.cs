namespace SshHsmCa.CaDaemon.Audit;

/// <summary>Enrolled security keys (issue 29), by SHA256 fingerprint.</summary>
internal interface ISecurityKeyStore
{
    /// <summary>Records an enrollment, durably; false (and nothing written) when the key is enrolled already.</summary>
    Task<bool> EnrollSecurityKeyAsync(SecurityKeyRecord record, CancellationToken cancellationToken);

    /// <summary>The enrollment of a key, or null.</summary>
    Task<SecurityKeyRecord?> FindSecurityKeyAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>Enrollments, newest first; of one caller when <paramref name="caller"/> is given.</summary>
    Task<IReadOnlyList<SecurityKeyRecord>> ListSecurityKeysAsync(string? caller, int limit, CancellationToken cancellationToken);
}
