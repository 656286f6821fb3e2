using SshHsmCa.CaDaemon.Audit;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// A bootstrap token in use for one call. <see cref="Complete"/> once a certificate was issued
/// with it; disposed without that, the token is given back (recorded), so that only an issuance
/// consumes it (issue 13).
/// </summary>
internal sealed class BootstrapTokenUse : Issuing.ICredentialUse
{
    private readonly IBootstrapTokenStore? _audit;
    private readonly string _id;
    private readonly string _peer;
    private readonly TimeProvider _time;
    private bool _completed;

    internal BootstrapTokenUse(IBootstrapTokenStore? audit, string id, string peer, TimeProvider time)
    {
        _audit = audit;
        _id = id;
        _peer = peer;
        _time = time;
    }

    /// <summary>The use for a caller without a bootstrap token: nothing to complete or give back.</summary>
    public static BootstrapTokenUse None { get; } = new(null, string.Empty, string.Empty, TimeProvider.System);

    /// <summary>A certificate was issued with the token: it stays used.</summary>
    public void Complete() => _completed = true;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_audit is null || _completed)
        {
            return;
        }

        await _audit.ReleaseBootstrapTokenAsync(_id, (ulong)_time.GetUtcNow().ToUnixTimeSeconds(), _peer, "no certificate was issued", CancellationToken.None).ConfigureAwait(false);
    }
}
