namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>What recomputing the issuance log from the records found.</summary>
/// <param name="Leaves">Leaves checked.</param>
/// <param name="Checkpoints">Signed checkpoints checked against the recomputed tree.</param>
/// <param name="FirstBadIndex">The first bad leaf index, or -1 (a problem that is no leaf's, such as a forged checkpoint row, names none).</param>
/// <param name="Problems">One sentence per problem (at most <see cref="LogAuditor.MaxProblems"/>).</param>
internal sealed record LogVerification(long Leaves, int Checkpoints, long FirstBadIndex, IReadOnlyList<string> Problems)
{
    /// <summary>Nothing wrong.</summary>
    public bool Ok => Problems.Count == 0;
}
