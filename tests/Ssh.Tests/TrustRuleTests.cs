using CsCheck;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Tests.Support;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Issue 26, defects 1 and 2: the one rule a host or client believes a signed document by. On
/// main of 2026-12-07 a revoked CA key could install a KRL that un-revoked itself and a trust set
/// that named only itself, both at version 1,000,000, and the genuine documents were then refused
/// as rollbacks. Scenarios first, then a property over any sequence of genuine, forged, older,
/// newer and revoked-signer documents.
/// </summary>
public sealed class TrustRuleTests : IDisposable
{
    private readonly TrustWorld _w = new();

    public void Dispose() => _w.Dispose();

    private static TrustState Accepted(TrustState state, SignedDocument document) =>
        TrustRule.Decide(state, document) switch
        {
            TrustVerdict.Accept a => a.State,
            TrustVerdict.Current c => c.State,
            TrustVerdict.Refuse r => throw new Xunit.Sdk.XunitException("refused: " + r.Reason),
            _ => throw new InvalidOperationException(),
        };

    private static TrustVerdict.Refuse Refused(TrustState state, SignedDocument document) =>
        Assert.IsType<TrustVerdict.Refuse>(TrustRule.Decide(state, document));

    [Fact]
    public void ARevokedKeyCannotUnrevokeItselfWithAKrlOfAFarVersion()
    {
        var state = Accepted(Accepted(_w.Bootstrapped(), _w.K2), _w.T2);
        var refused = Refused(state, _w.ForgedEmptyKrl);
        Assert.False(refused.Rollback);
        Assert.Contains("a revocation reached", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(_w.X.GetSha256Fingerprint(), refused.Reason, StringComparison.Ordinal);
        Refused(state, _w.ForgedSetOnlyX);
        Assert.Equal([_w.Y], state.Signers);
    }

    [Fact]
    public void TheGenuineKrlReplacesAForgedOneOfAFarVersionWhoseSignerItRevokes()
    {
        var forged = Accepted(_w.Bootstrapped(), _w.ForgedEmptyKrl);
        Assert.Equal(TrustWorld.Far, forged.Krl!.Version);
        var verdict = Assert.IsType<TrustVerdict.Accept>(TrustRule.Decide(forged, _w.K2));
        Assert.True(verdict.Replaced);
        Assert.Equal(new DocumentStamp(2, _w.Y), verdict.State.Krl);
        Assert.Contains(_w.X, verdict.State.Revoked);
        Assert.DoesNotContain(_w.X, verdict.State.Signers);

        // An older genuine KRL that does not revoke the installed one's signer is still a rollback.
        var after = Accepted(Accepted(verdict.State, _w.T2), _w.K3);
        Assert.True(Refused(after, _w.K2).Rollback);
    }

    [Fact]
    public void ASetThatNamesOnlyTheLeakedKeyCannotLockOutItsSuccessor()
    {
        var forged = Accepted(_w.Bootstrapped(), _w.ForgedSetOnlyX);
        Assert.Equal([_w.X], forged.Signers);
        Assert.Equal([_w.Y], forged.Dormant);

        // The successor proves nothing on its own: it must revoke the installed set's signer.
        Refused(forged, _w.T1);
        var recovered = Accepted(Accepted(forged, _w.T2), _w.K3);
        Assert.Equal([_w.Y], recovered.Signers);
        Assert.Equal(new DocumentStamp(2, _w.Y), recovered.TrustSet);
        Assert.Empty(recovered.Dormant);
        foreach (var forgery in _w.Forged.Concat(_w.Wedging))
        {
            Refused(recovered, forgery);
        }
    }

    [Fact]
    public void TheKrlMayArriveBeforeTheSetThatBringsItsSigner()
    {
        var forged = Accepted(_w.Bootstrapped(), _w.ForgedSetOnlyX);
        var krlFirst = Accepted(forged, _w.K2);
        Assert.Empty(krlFirst.Signers);
        Assert.Equal([_w.Y], Accepted(krlFirst, _w.T2).Signers);
    }

    [Fact]
    public void StrangersTamperedBytesAndSetsNamingRevokedKeysAreRefused()
    {
        var state = _w.Bootstrapped();
        Assert.Contains("not a user CA key this trust state lists", Refused(state, _w.StrangerSet).Reason, StringComparison.Ordinal);
        Refused(state, _w.StrangerKrl);
        Assert.Contains("does not verify", Refused(state, _w.TamperedSet).Reason, StringComparison.Ordinal);

        // A KRL that revokes its own signer only takes trust away: believed, and the last thing that key signs.
        var selfRevoked = Accepted(state, _w.SelfRevokingKrl);
        Assert.Contains(_w.X, selfRevoked.Revoked);
        Assert.Equal([_w.Y], selfRevoked.Signers);
        Refused(selfRevoked, _w.ForgedEmptyKrl);
        var learnt = Accepted(state, _w.K2);
        var revokedBack = learnt with { Revoked = [_w.X] };
        Assert.Contains("a key a revocation reached", Refused(revokedBack, _w.T1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOperatorsResetRecoversAHostTheLeakedKeyWedged()
    {
        var wedged = Accepted(Accepted(_w.Bootstrapped(), _w.ForgedSetRevokesY), _w.ForgedKrlRevokesY);
        Refused(wedged, _w.T2);
        Refused(wedged, _w.K3);
        var reset = Accepted(Accepted(TrustState.Anchored([_w.Y]), _w.T2), _w.K3);
        Assert.Equal([_w.Y], reset.Signers);
        Assert.Contains(_w.X, reset.Revoked);
    }

    [Fact]
    public void TheStateReadsBackFromItsText()
    {
        var state = Accepted(Accepted(_w.Bootstrapped(), _w.T2), _w.K3);
        var text = state.ToText();
        var back = TrustState.Parse("# ssh-hsm-ca trust set version 2: words\n" + text + "ssh-ed25519 AAAA ignored\n")!;
        Assert.Equal(text, back.ToText());
        Assert.Null(TrustState.Parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2Y plain\n"));
        Assert.Throws<SshFormatException>(() => TrustState.Parse("# ssh-hsm-ca state 1\n# ssh-hsm-ca forget everything\n"));
        Assert.Throws<SshFormatException>(() => TrustState.Parse("# ssh-hsm-ca state 1\n# ssh-hsm-ca krl 01x -\n"));
    }

    /// <summary>
    /// Any sequence of documents, in any order and repeated: the state never believes a key once a
    /// revocation reached it, never accepts a stranger or tampered bytes, never goes back in
    /// version but to replace a document whose signer the new one revokes; and when the leaked key
    /// did not revoke its successor, the genuine T2 and K3 bring the host to the genuine state.
    /// </summary>
    [Fact]
    public void NoSequenceOfDocumentsMakesTheStateBelieveARevokedKeyOrGoBackwards()
    {
        var pool = _w.Genuine.Concat(_w.Forged).Concat(_w.Wedging).ToArray();
        Gen.Int[0, pool.Length - 1].Array[0, 14].Sample(sequence =>
        {
            var state = _w.Bootstrapped();
            var wedged = false;
            foreach (var index in sequence)
            {
                var document = pool[index];
                var before = state;
                var verdict = TrustRule.Decide(state, document);
                if (verdict is TrustVerdict.Refuse)
                {
                    continue;
                }

                wedged |= _w.Wedging.Contains(document);
                Assert.False(_w.StrangerSet == document || _w.StrangerKrl == document || _w.TamperedSet == document || _w.StaleByY == document, "a stranger's, tampered or stale document was believed");
                Assert.DoesNotContain(document.Signer, before.Revoked);
                state = verdict is TrustVerdict.Accept a ? a.State : ((TrustVerdict.Current)verdict).State;

                // Revocations are remembered for good, and nothing revoked is believed.
                Assert.True(before.Revoked.All(state.Revoked.Contains), "a revocation was forgotten");
                Assert.Empty(state.Signers.Intersect(state.Revoked));
                Assert.Empty(state.Trusted(SshCertificateType.Host).Intersect(state.Revoked));

                // Versions go back only to replace a document whose signer this one revokes.
                var (old, now) = document.Kind == DocumentKind.Krl ? (before.Krl, state.Krl) : (before.TrustSet, state.TrustSet);
                if (old is not null && now!.Version < old.Version)
                {
                    Assert.True(old.Signer is { } s && document.Revokes(s), $"version {old.Version} went back to {now.Version}");
                }
            }

            if (!wedged)
            {
                foreach (var document in new[] { _w.T2, _w.K3, _w.T2, _w.K3 })
                {
                    state = Accepted(state, document);
                }

                Assert.Equal([_w.Y], state.Signers);
                Assert.Contains(_w.X, state.Revoked);
                Assert.Equal(new DocumentStamp(2, _w.Y), state.TrustSet);
                Assert.Equal(new DocumentStamp(3, _w.Y), state.Krl);
            }
        }, iter: 400);
    }
}
