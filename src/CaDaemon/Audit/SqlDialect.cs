namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The few words in which the audit store's SQL differs between its engines.</summary>
/// <param name="Greatest">The function that returns the larger of two values.</param>
/// <param name="Number">The type a decimal text column is cast to for arithmetic.</param>
/// <param name="MaxBatch">Writes per group commit at most. Each write runs in a savepoint; PostgreSQL
/// gives every savepoint that writes a subtransaction, and past 64 in one transaction its
/// snapshots overflow to pg_subtrans (slower for every session), so its batches stop at 64.</param>
internal sealed record SqlDialect(string Greatest, string Number, int MaxBatch)
{
    /// <summary>SQLite: one appliance, one writer process.</summary>
    public static SqlDialect Sqlite { get; } = new("MAX", "INTEGER", MaxBatch: 256);

    /// <summary>PostgreSQL: several appliances write at once.</summary>
    public static SqlDialect Postgres { get; } = new("GREATEST", "NUMERIC", MaxBatch: 64);
}
