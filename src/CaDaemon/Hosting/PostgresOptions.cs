namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// The audit store on PostgreSQL, shared by several appliances (absent: SQLite at auditDatabase).
/// The password never sits in the configuration: a systemd credential or a root-only file.
/// </summary>
internal sealed class PostgresOptions
{
    /// <summary>
    /// An Npgsql connection string without a password, e.g.
    /// <c>Host=db1,db2;Database=sshca;Username=sshca;Target Session Attributes=primary;SSL Mode=VerifyFull</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>A systemd credential name holding the password.</summary>
    public string? PasswordCredential { get; set; }

    /// <summary>A root-only file holding the password.</summary>
    public string? PasswordFile { get; set; }
}
