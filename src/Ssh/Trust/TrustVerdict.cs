namespace SshHsmCa.Ssh.Trust;

/// <summary>What <see cref="TrustRule"/> decided about a signed document.</summary>
public abstract record TrustVerdict
{
    private TrustVerdict()
    {
    }

    /// <summary>Believed: install the document, then <paramref name="State"/>. <paramref name="Replaced"/>: it replaced a document of a later version whose signer it revokes.</summary>
    public sealed record Accept(TrustState State, bool Replaced) : TrustVerdict;

    /// <summary>Believed, and the same version is installed: nothing to write but <paramref name="State"/> (what it revoked is still learnt).</summary>
    public sealed record Current(TrustState State) : TrustVerdict;

    /// <summary>Not believed: the signature, the signer or the content (<paramref name="Rollback"/> false), or an older version (true).</summary>
    public sealed record Refuse(bool Rollback, string Reason) : TrustVerdict;
}
