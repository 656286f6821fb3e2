using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// The CA keys the daemon signs with, opened and checked before the host starts (or given by a
/// test: any <see cref="ICaKey"/> will do). Registered in dependency injection; everything that
/// needs a CA key asks this, never the configuration.
/// </summary>
internal sealed class CaKeySet(ICaKey user, ICaKey host)
{
    /// <summary>The user CA key.</summary>
    public ICaKey User { get; } = user ?? throw new ArgumentNullException(nameof(user));

    /// <summary>The host CA key.</summary>
    public ICaKey Host { get; } = host ?? throw new ArgumentNullException(nameof(host));

    /// <summary>Both keys, user first.</summary>
    public IReadOnlyList<ICaKey> All => [User, Host];

    /// <summary>Whether every key can sign now.</summary>
    public bool AllAvailable => User.IsAvailable && Host.IsAvailable;

    /// <summary>The key that signs certificates of <paramref name="type"/>.</summary>
    public ICaKey For(SshCertificateType type) => type == SshCertificateType.User ? User : Host;
}
