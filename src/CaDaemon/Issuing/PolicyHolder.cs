using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>The policy in force; swapped atomically on reload (SIGHUP), never half replaced.</summary>
internal sealed class PolicyHolder(SshPolicy initial)
{
    private SshPolicy _current = initial;

    /// <summary>The policy every new request is evaluated with.</summary>
    public SshPolicy Current => Volatile.Read(ref _current);

    /// <summary>Loads a new policy; on any error the old one stays and the errors are thrown.</summary>
    /// <exception cref="PolicyLoadException">The new policy was refused.</exception>
    public void Reload(string json) => Replace(SshPolicy.Load(json));

    /// <summary>Puts an already loaded policy in force.</summary>
    public void Replace(SshPolicy policy) => Volatile.Write(ref _current, policy ?? throw new ArgumentNullException(nameof(policy)));
}
