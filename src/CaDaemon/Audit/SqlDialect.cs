namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The few words in which the audit store's SQL differs between its engines.</summary>
internal sealed record SqlDialect(string Name, string Greatest, string Number, bool SingleWriter)
{
    /// <summary>SQLite: one appliance, one writer process.</summary>
    public static SqlDialect Sqlite { get; } = new("sqlite", "MAX", "INTEGER", SingleWriter: true);

    /// <summary>PostgreSQL: several appliances write at once.</summary>
    public static SqlDialect Postgres { get; } = new("postgres", "GREATEST", "NUMERIC", SingleWriter: false);
}
