using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm;

/// <summary>The check every backend makes at start: the device's key is the one the operator pinned.</summary>
public static class ExpectedKey
{
    /// <summary>
    /// Throws <see cref="HsmErrorKind.KeyMismatch"/> unless <paramref name="actual"/> matches
    /// <paramref name="expected"/> (an OpenSSH public key line or a <c>SHA256:</c> fingerprint); no
    /// expectation means no check.
    /// </summary>
    public static void Check(string description, SshPublicKey actual, string? expected)
    {
        ArgumentNullException.ThrowIfNull(actual);
        expected = expected?.Trim();
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        var expectedFingerprint = expected.StartsWith("SHA256:", StringComparison.Ordinal)
            ? expected
            : SshPublicKey.ParseLine(expected).GetSha256Fingerprint();
        if (expectedFingerprint != actual.GetSha256Fingerprint())
        {
            throw new HsmException(HsmErrorKind.KeyMismatch, $"{description}: the device's key is {actual.GetSha256Fingerprint()}, the configuration expects {expectedFingerprint}");
        }
    }
}
