using Microsoft.Data.Sqlite;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 27: the store's schema is written twice, SQLite's as the five migrations databases in the
/// field went through and PostgreSQL's as one, so this keeps them from drifting: a new store on
/// each engine has the same tables with the same columns, in the same order, of the same kind
/// (integer, text, bytes, boolean). PostgreSQL's revoked_items has one column more, the rowid SQLite gives
/// every table without naming it.
/// </summary>
public sealed class SchemaTests : IDisposable
{
    private readonly TempDir _dir = new("sshhsmca-schema-");

    public void Dispose() => _dir.Dispose();

    private static string Kind(string type) => type.ToUpperInvariant() switch
    {
        "INTEGER" or "BIGINT" or "BIGSERIAL" => "integer",
        "TEXT" => "text",
        "BLOB" or "BYTEA" => "bytes",
        "BOOLEAN" => "boolean",
        var other => other,
    };

    [Fact]
    public void SqliteAndPostgresStoresHaveTheSameTablesAndColumns()
    {
        var sqlitePath = _dir.PathOf("audit.db");
        using (SqlAuditStore.OpenSqlite(sqlitePath))
        {
        }

        var sqlite = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        using (var connection = new SqliteConnection($"Data Source={sqlitePath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var tables = connection.CreateCommand();
            tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;";
            var names = new List<string>();
            using (var reader = tables.ExecuteReader())
            {
                while (reader.Read())
                {
                    names.Add(reader.GetString(0));
                }
            }

            foreach (var name in names)
            {
                using var columns = connection.CreateCommand();
                columns.CommandText = $"SELECT name, type FROM pragma_table_info('{name}') ORDER BY cid;";
                using var reader = columns.ExecuteReader();
                var list = new List<string>();
                while (reader.Read())
                {
                    list.Add($"{reader.GetString(0)} {Kind(reader.GetString(1))}");
                }

                sqlite[name] = list;
            }
        }

        using var cluster = PostgresCluster.Start();
        using (SqlAuditStore.OpenPostgres(cluster.ConnectionString, cluster.Password))
        {
        }

        var rows = cluster.Sql("SELECT table_name || ' ' || column_name || ' ' || CASE WHEN data_type IN ('integer', 'bigint') THEN 'integer' WHEN data_type = 'text' THEN 'text' WHEN data_type = 'bytea' THEN 'bytes' ELSE data_type END FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position;", "sshca");
        var postgres = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var row in rows.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = row.Split(' ', 2);
            if (!postgres.TryGetValue(parts[0], out var list))
            {
                postgres[parts[0]] = list = [];
            }

            list.Add(parts[1]);
        }

        // SQLite counts its migrations in PRAGMA user_version, PostgreSQL in a table of its own.
        Assert.True(postgres.Remove("schema_version"), "PostgreSQL's schema_version table is missing");
        Assert.Equal(["rowid integer"], postgres["revoked_items"].Except(sqlite["revoked_items"]));
        postgres["revoked_items"].Remove("rowid integer");
        Assert.Equal(sqlite.Keys, postgres.Keys);
        foreach (var (table, columns) in sqlite)
        {
            Assert.True(columns.SequenceEqual(postgres[table]), $"{table}: SQLite ({string.Join(", ", columns)}) and PostgreSQL ({string.Join(", ", postgres[table])}) differ");
        }

        Assert.Contains("certificates", sqlite.Keys);
        Assert.Contains("ca_key_states", sqlite.Keys);
    }
}
