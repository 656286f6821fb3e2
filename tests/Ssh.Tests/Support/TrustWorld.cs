using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>
/// An emergency rotation and an attacker, as signed documents: user CA key X (active, leaked),
/// Y (next, promoted when X is revoked), Z (a stranger), host CA key H. The genuine CA publishes
/// T1 and K1 before the leak, T2 and K2/K3 after revoking X; the holder of X forges what issue 26's
/// second attack forged (an empty KRL and a set naming only X, at version 1,000,000), and worse.
/// </summary>
internal sealed class TrustWorld : IDisposable
{
    public const string KrlNamespace = "krl@ssh-hsm-ca";
    public const ulong Far = 1_000_000;

    private readonly TestCaKey _x = TestCaKey.Create("ed25519");
    private readonly TestCaKey _y = TestCaKey.Create("ed25519");
    private readonly TestCaKey _z = TestCaKey.Create("ed25519");
    private readonly TestCaKey _h = TestCaKey.Create("ed25519");

    public TrustWorld()
    {
        T1 = Set(_x, 1, (X, CaKeyState.Active), (Y, CaKeyState.Next));
        K1 = Krl(_x, 1);
        T2 = Set(_y, 2, (X, CaKeyState.Revoked), (Y, CaKeyState.Active));
        K2 = Krl(_y, 2, X);
        K3 = Krl(_y, 3, X);
        ForgedEmptyKrl = Krl(_x, Far);
        ForgedSetOnlyX = Set(_x, Far, (X, CaKeyState.Active));
        ForgedSetDropsYLow = Set(_x, 3, (X, CaKeyState.Active));
        ForgedKrlRevokesY = Krl(_x, Far, Y);
        ForgedSetRevokesY = Set(_x, Far, (X, CaKeyState.Active), (Y, CaKeyState.Revoked));
        StrangerSet = Set(_z, Far + 1, (Z, CaKeyState.Active));
        StrangerKrl = Krl(_z, Far + 1, X, Y);
        SelfRevokingKrl = Krl(_x, Far, X);
        StaleByY = Krl(_y, 0);
        // T2's signature over T2 with its version changed.
        var tampered = System.Text.Encoding.ASCII.GetBytes(System.Text.Encoding.ASCII.GetString(T2.Bytes).Replace("\nversion 2\n", "\nversion 9\n", StringComparison.Ordinal));
        TamperedSet = SignedDocument.ForTrustSet(tampered, T2.Signature.ToArmored());
        Genuine = [T1, K1, T2, K2, K3];
        Forged = [ForgedEmptyKrl, ForgedSetOnlyX, ForgedSetDropsYLow, StrangerSet, StrangerKrl, SelfRevokingKrl, TamperedSet, StaleByY];
        Wedging = [ForgedKrlRevokesY, ForgedSetRevokesY];
    }

    public SshPublicKey X => _x.PublicKey;
    public SshPublicKey Y => _y.PublicKey;
    public SshPublicKey Z => _z.PublicKey;
    public SshPublicKey H => _h.PublicKey;

    public SignedDocument T1 { get; }
    public SignedDocument K1 { get; }
    public SignedDocument T2 { get; }
    public SignedDocument K2 { get; }
    public SignedDocument K3 { get; }
    public SignedDocument ForgedEmptyKrl { get; }
    public SignedDocument ForgedSetOnlyX { get; }
    public SignedDocument ForgedSetDropsYLow { get; }
    public SignedDocument ForgedKrlRevokesY { get; }
    public SignedDocument ForgedSetRevokesY { get; }
    public SignedDocument StrangerSet { get; }
    public SignedDocument StrangerKrl { get; }
    public SignedDocument SelfRevokingKrl { get; }

    /// <summary>An old KRL by Y that revokes nothing: older than anything installed, and no revocation of its signer to excuse it.</summary>
    public SignedDocument StaleByY { get; }
    public SignedDocument TamperedSet { get; }

    /// <summary>What the genuine CA publishes.</summary>
    public IReadOnlyList<SignedDocument> Genuine { get; }

    /// <summary>Forgeries a host recovers from once the genuine documents reach it.</summary>
    public IReadOnlyList<SignedDocument> Forged { get; }

    /// <summary>Forgeries that revoke the genuine successor before the host learns of the leak: only an operator's reset recovers.</summary>
    public IReadOnlyList<SignedDocument> Wedging { get; }

    /// <summary>A host after bootstrap (anchored on X) that installed T1 and K1.</summary>
    public TrustState Bootstrapped()
    {
        var state = TrustState.Anchored([X]);
        foreach (var document in new[] { T1, K1 })
        {
            state = TrustRule.Decide(state, document) is TrustVerdict.Accept a ? a.State : throw new InvalidOperationException("bootstrap refused");
        }

        return state;
    }

    public void Dispose()
    {
        _x.Dispose();
        _y.Dispose();
        _z.Dispose();
        _h.Dispose();
    }

    private SignedDocument Set(TestCaKey signer, ulong version, params (SshPublicKey Key, CaKeyState State)[] users)
    {
        var keys = users.Select(u => new TrustedCaKey(SshCertificateType.User, u.State, u.Key)).Append(new TrustedCaKey(SshCertificateType.Host, CaKeyState.Active, H)).ToList();
        var bytes = new TrustSet(version, keys).Encode();
        return SignedDocument.ForTrustSet(bytes, Sign(signer, TrustSet.Namespace, bytes));
    }

    private SignedDocument Krl(TestCaKey signer, ulong version, params SshPublicKey[] revoked)
    {
        var builder = new SshKrlBuilder().RevokeSerial(Y, 42);
        foreach (var key in revoked)
        {
            builder.RevokeKey(key);
        }

        var bytes = builder.Build(version, 1_700_000_000, string.Empty).Encode();
        return SignedDocument.ForKrl(bytes, Sign(signer, KrlNamespace, bytes), KrlNamespace);
    }

    private static string Sign(TestCaKey signer, string ns, byte[] bytes) =>
        SshSig.Create(signer.PublicKey, ns, "sha512", signer.Sign(SshSig.SignedData(ns, "sha512", bytes)), bytes).ToArmored();
}
