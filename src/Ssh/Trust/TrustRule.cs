using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>
/// The one rule by which a host or client believes a signed document (a KRL, a trust set, and so
/// the TrustedUserCAKeys file and the @cert-authority lines made from it). A document is believed
/// only while its signer is:
/// <list type="number">
/// <item>its SSHSIG verifies in the document's namespace with the key it names;</item>
/// <item>that key was never revoked here (revocations are remembered for good). A KRL that revokes
/// its own signer is believed (it only takes trust away): what it revokes is learnt, and nothing
/// that key signs is believed after it;</item>
/// <item>the installed trust set lists it as next, active or retired — or it is a next key the
/// installed set's signer dropped and the document revokes that signer (a leaked key that rewrote
/// the set to trust itself alone cannot lock out the key that replaces it);</item>
/// <item>a trust set is signed by one of its own active user CA keys and names no key revoked here
/// as trusted;</item>
/// <item>its version is not older than the installed one of its kind — unless it revokes the key
/// that signed the installed one, which it then replaces whatever the versions (a forged version
/// far ahead cannot wedge the host).</item>
/// </list>
/// What a believed document revokes is remembered; nothing is ever trusted again once revoked.
/// A leaked key that revokes the genuine keys before the host learns of the leak wins that host
/// until an operator resets it with keys checked out of band (docs/threat-model.md).
/// </summary>
public static class TrustRule
{
    /// <summary>Decides about <paramref name="document"/> given what is installed.</summary>
    public static TrustVerdict Decide(TrustState state, SignedDocument document)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(document);
        var what = document.Kind == DocumentKind.Krl ? "the KRL" : "the trust set";
        var signer = document.Signer;
        var name = signer.GetSha256Fingerprint();
        if (!document.Signature.Verifies(signer, document.Namespace, document.Bytes))
        {
            return Refuse($"{what}'s signature does not verify (namespace {document.Namespace})");
        }

        if (state.Revoked.Contains(signer))
        {
            return Refuse($"{what} is signed by {name}, a key a revocation reached: it is never believed again");
        }

        var installed = document.Kind == DocumentKind.Krl ? state.Krl : state.TrustSet;
        var revokesInstalledSigner = installed?.Signer is { } previous && !previous.Equals(signer) && document.Revokes(previous);
        var trusted = state.Signers.Contains(signer);
        var dormantWitness = state.Dormant.Contains(signer) && state.TrustSet?.Signer is { } setSigner && document.Revokes(setSigner);
        if (!trusted && !dormantWitness)
        {
            return Refuse($"{what} is signed by {name}, not a user CA key this trust state lists as next, active or retired");
        }

        if (document.Set is { } set)
        {
            if (!set.Actives(SshCertificateType.User).Contains(signer))
            {
                return Refuse($"the trust set is signed by {name}, not by one of its active user CA keys");
            }

            if (set.Keys.FirstOrDefault(k => k.IsTrusted && state.Revoked.Contains(k.PublicKey)) is { } back)
            {
                return Refuse($"the trust set names {back.PublicKey.GetSha256Fingerprint()} as {TrustSet.StateName(back.State)}, a key a revocation reached");
            }
        }

        var next = Learn(state, document, signer);
        if (installed is null || document.Version > installed.Version || revokesInstalledSigner)
        {
            return new TrustVerdict.Accept(next, revokesInstalledSigner && installed!.Version >= document.Version);
        }

        return document.Version == installed.Version
            ? new TrustVerdict.Current(state with { Revoked = next.Revoked, Dormant = next.Dormant })
            : new TrustVerdict.Refuse(true, $"refusing to replace {what} version {installed.Version} with the older version {document.Version}");

        static TrustVerdict Refuse(string reason) => new TrustVerdict.Refuse(false, reason);
    }

    /// <summary>The state after believing <paramref name="document"/>.</summary>
    private static TrustState Learn(TrustState state, SignedDocument document, SshPublicKey signer)
    {
        // Every key this state or the document knows, checked against the document's revocations.
        var known = state.Keys.Select(k => k.PublicKey).Concat(state.Dormant).Concat(document.Set?.Keys.Select(k => k.PublicKey) ?? []).Distinct();
        List<SshPublicKey> revoked = [.. state.Revoked, .. known.Where(k => !state.Revoked.Contains(k) && document.Revokes(k))];
        if (revoked.Count > TrustState.MaxRevoked)
        {
            revoked = revoked[^TrustState.MaxRevoked..];
        }

        if (document.Set is not { } set)
        {
            return state with { Revoked = revoked, Dormant = [.. state.Dormant.Where(k => !revoked.Contains(k))], Krl = new DocumentStamp(document.Version, signer) };
        }

        // Next keys the new set drops become dormant: they may still prove the signer of this set
        // revoked. Kept while the same key signs the sets; a new signer starts afresh.
        var kept = set.Keys.Where(k => k.IsTrusted).Select(k => k.PublicKey).ToList();
        var dropped = state.Keys.Where(k => k.Ca == SshCertificateType.User && k.State == CaKeyState.Next && !kept.Contains(k.PublicKey)).Select(k => k.PublicKey);
        var carried = signer.Equals(state.TrustSet?.Signer) ? state.Dormant : [];
        var dormant = carried.Concat(dropped).Distinct().Where(k => !revoked.Contains(k) && !kept.Contains(k)).Take(TrustSet.MaxKeys).ToList();
        return new TrustState(set.Keys, dormant, revoked, new DocumentStamp(document.Version, signer), state.Krl);
    }
}
