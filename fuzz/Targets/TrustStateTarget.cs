using System.Security.Cryptography;
using System.Text;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Fuzz;

/// <summary>
/// The installer's state machine (issue 26): the input's text is parsed as a trust state (strict,
/// and what parses reads back to the same text); then each input byte picks a signed document
/// (genuine, forged by the leaked key, older, newer, a stranger's, tampered) to offer to
/// <see cref="TrustRule"/>. Any state that believes a key a revocation reached, forgets a
/// revocation or goes back in version without revoking the replaced document's signer is a crash.
/// </summary>
internal static class TrustStateTarget
{
    private static readonly Lazy<(TrustState Start, SignedDocument[] Pool)> World = new(Make);

    public static void Run(byte[] input)
    {
        try
        {
            if (TrustState.Parse(Encoding.UTF8.GetString(input)) is { } parsed && TrustState.Parse(parsed.ToText())!.ToText() != parsed.ToText())
            {
                throw new InvalidOperationException("a trust state does not read back to its own text");
            }
        }
        catch (SshFormatException)
        {
        }

        var (state, pool) = World.Value;
        foreach (var pick in input.Take(64))
        {
            var document = pool[pick % pool.Length];
            var before = state;
            switch (TrustRule.Decide(state, document))
            {
                case TrustVerdict.Accept a:
                    state = a.State;
                    break;
                case TrustVerdict.Current c:
                    state = c.State;
                    break;
                default:
                    continue;
            }

            if (before.Revoked.Contains(document.Signer))
            {
                throw new InvalidOperationException("a document signed by a revoked key was believed");
            }

            if (!before.Revoked.All(state.Revoked.Contains) || state.Signers.Intersect(state.Revoked).Any() || state.Trusted(SshCertificateType.Host).Intersect(state.Revoked).Any())
            {
                throw new InvalidOperationException("a revocation was forgotten or a revoked key is believed");
            }

            var (old, now) = document.Kind == DocumentKind.Krl ? (before.Krl, state.Krl) : (before.TrustSet, state.TrustSet);
            if (old is not null && now!.Version < old.Version && !(old.Signer is { } s && document.Revokes(s)))
            {
                throw new InvalidOperationException("a version went backwards");
            }
        }
    }

    /// <summary>User CA keys X (leaked), Y (next, then active), Z (a stranger), host CA key H; the documents of an emergency rotation and its attack.</summary>
    private static (TrustState, SignedDocument[]) Make()
    {
        var keys = Enumerable.Range(0, 4).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToArray();
        var pub = keys.Select(k => (SshPublicKey)EcdsaPublicKey.FromParameters(k.ExportParameters(false))).ToArray();
        var (x, y, z, h) = (0, 1, 2, 3);
        SignedDocument Set(int signer, ulong version, params (int Key, CaKeyState State)[] users)
        {
            var bytes = new TrustSet(version, [.. users.Select(u => new TrustedCaKey(SshCertificateType.User, u.State, pub[u.Key])), new TrustedCaKey(SshCertificateType.Host, CaKeyState.Active, pub[h])]).Encode();
            return SignedDocument.ForTrustSet(bytes, Sign(signer, TrustSet.Namespace, bytes));
        }

        SignedDocument Krl(int signer, ulong version, params int[] revoked)
        {
            var builder = new SshKrlBuilder().RevokeSerial(pub[y], 7);
            foreach (var key in revoked)
            {
                builder.RevokeKey(pub[key]);
            }

            var bytes = builder.Build(version, 1, string.Empty).Encode();
            return SignedDocument.ForKrl(bytes, Sign(signer, "krl@ssh-hsm-ca", bytes), "krl@ssh-hsm-ca");
        }

        string Sign(int signer, string ns, byte[] bytes)
        {
            var der = keys[signer].SignData(SshSig.SignedData(ns, "sha512", bytes), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return SshSig.Create(pub[signer], ns, "sha512", SshSignatureEncoder.FromEcdsaDer(EcCurve.NistP256, der), bytes).ToArmored();
        }

        var t2 = Set(y, 2, (x, CaKeyState.Revoked), (y, CaKeyState.Active));
        var tampered = SignedDocument.ForTrustSet(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(t2.Bytes).Replace("\nversion 2\n", "\nversion 9\n", StringComparison.Ordinal)), t2.Signature.ToArmored());
        SignedDocument[] pool =
        [
            Set(x, 1, (x, CaKeyState.Active), (y, CaKeyState.Next)), Krl(x, 1), t2, Krl(y, 2, x), Krl(y, 3, x),
            Krl(x, 1_000_000), Set(x, 1_000_000, (x, CaKeyState.Active)), Set(x, 3, (x, CaKeyState.Active)), Krl(x, 1_000_000, y),
            Set(x, 1_000_000, (x, CaKeyState.Active), (y, CaKeyState.Revoked)), Set(z, 9, (z, CaKeyState.Active)), Krl(z, 9, x, y),
            Krl(x, 1_000_000, x), Krl(y, 0), tampered, Set(y, 4, (y, CaKeyState.Retired), (x, CaKeyState.Active)),
        ];
        var start = TrustState.Anchored([pub[x]]);
        return (start, pool);
    }
}
