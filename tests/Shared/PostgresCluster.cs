using System.Globalization;
namespace SshHsmCa.Tests.Shared;

/// <summary>
/// A PostgreSQL cluster of its own for a test, from Debian's PostgreSQL: <c>initdb</c> as the
/// unprivileged postgres user in a temporary folder (C locale), a loopback port and a socket in
/// that folder, a database and a login role with a password (scram-sha-256 on TCP). Stopped
/// (immediate mode) and removed when disposed.
/// </summary>
internal sealed class PostgresCluster : IDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;

    private PostgresCluster(string dir, int port, string password)
    {
        _dir = dir;
        Port = port;
        Password = password;
    }

    private string Data => Path.Combine(_dir, "data");

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The password of the role <c>sshca</c>.</summary>
    public string Password { get; }

    /// <summary>A connection string without the password (as the daemon's configuration has it).</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Database=sshca;Username=sshca;Pooling=false;Timeout=5;Command Timeout=15");

    /// <summary>A new cluster, started, with the database and the role.</summary>
    public static PostgresCluster Start()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException("PostgreSQL 15 is not installed (scripts/install-test-deps.sh installs it)");
        }
        var dir = Directory.CreateTempSubdirectory("sshhsmca-pg-").FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Run("/bin/chown", ["postgres:postgres", dir]);
        var data = Path.Combine(dir, "data");
        AsPostgres(Path.Combine(Bin, "initdb"), ["-D", data, "--locale=C", "--encoding=UTF8", "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres"]);
        var port = Repository.FreePort();
        AsPostgres(Path.Combine(Bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(dir, "log"), "-w", "-t", "60", "-o", string.Create(CultureInfo.InvariantCulture, $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=on"), "start"]);
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var cluster = new PostgresCluster(dir, port, password);
        try
        {
            cluster.Sql($"CREATE ROLE sshca LOGIN PASSWORD '{password}';");
            cluster.Sql("CREATE DATABASE sshca OWNER sshca;");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A streaming standby of this cluster in a folder of its own (<c>pg_basebackup -R</c> as a
    /// replication role), started on another loopback port.
    /// </summary>
    public PostgresCluster StartStandby()
    {
        var replicator = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Sql($"CREATE ROLE replicator REPLICATION LOGIN PASSWORD '{replicator}';");
        var dir = Directory.CreateTempSubdirectory("sshhsmca-pg-standby-").FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Run("/bin/chown", ["postgres:postgres", dir]);
        var data = Path.Combine(dir, "data");
        var conninfo = string.Create(CultureInfo.InvariantCulture, $"host=127.0.0.1 port={Port} user=replicator password={replicator} application_name=standby");
        AsPostgres(Path.Combine(Bin, "pg_basebackup"), ["-d", conninfo, "-D", data, "-R", "-X", "stream", "-c", "fast"]);
        var port = Repository.FreePort();
        AsPostgres(Path.Combine(Bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(dir, "log"), "-w", "-t", "60", "-o", string.Create(CultureInfo.InvariantCulture, $"-p {port} -k {dir} -c listen_addresses=127.0.0.1"), "start"]);
        return new PostgresCluster(dir, port, Password);
    }

    /// <summary>Commits on this primary wait for the standby to have flushed them (synchronous replication).</summary>
    public void RequireSynchronousStandby()
    {
        Sql("ALTER SYSTEM SET synchronous_standby_names = 'standby';");
        Sql("ALTER SYSTEM SET synchronous_commit = 'on';");
        Sql("SELECT pg_reload_conf();");
        for (var i = 0; i < 100 && Sql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync';") != "1"; i++)
        {
            Thread.Sleep(100);
        }

        if (Sql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync';") != "1")
        {
            throw new InvalidOperationException("the standby did not become synchronous within 10 s");
        }
    }

    /// <summary>The server dies at once (no shutdown checkpoint): what a crash or a pulled plug does.</summary>
    public void Kill() =>
        ProcessRunner.Run("/usr/sbin/runuser", ["-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop"], timeoutMs: 60_000);

    /// <summary>A standby becomes a primary (<c>pg_ctl promote</c>), waiting until it accepts writes.</summary>
    public void Promote() => AsPostgres(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-w", "-t", "60", "promote"]);

    /// <summary>Runs SQL as the superuser over the cluster's socket (in <paramref name="database"/>).</summary>
    public string Sql(string sql, string database = "postgres") =>
        AsPostgres(Path.Combine(Bin, "psql"), ["-h", _dir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", sql]).Stdout.Trim();

    /// <summary>A password file for the daemon (0600).</summary>
    public string WritePasswordFile(string directory)
    {
        var path = Path.Combine(directory, "pg-password");
        File.WriteAllText(path, Password + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public void Dispose()
    {
        Kill();
        Directory.Delete(_dir, recursive: true);
    }

    private static ProcessRunner.Result AsPostgres(string program, string[] arguments) =>
        Run("/usr/sbin/runuser", ["-u", "postgres", "--", program, .. arguments]);

    private static ProcessRunner.Result Run(string program, string[] arguments)
    {
        var result = ProcessRunner.Run(program, arguments, timeoutMs: 120_000);
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {result.Output}");
    }
}
