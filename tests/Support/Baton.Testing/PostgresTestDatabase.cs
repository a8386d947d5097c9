using Npgsql;

namespace Baton.Testing;

/// <summary>
/// A fresh database on the PostgreSQL server named by BATON_TEST_POSTGRES, dropped afterwards. Without the variable
/// the test fails (never skips) with how to get a server: scripts/test.sh starts a throwaway one and sets it.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string Variable = "BATON_TEST_POSTGRES";

    private readonly string _server;
    private readonly string _name = "baton_test_" + Guid.NewGuid().ToString("N");

    private PostgresTestDatabase(string server) => _server = server;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _name }.ConnectionString;

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set, so the PostgreSQL tests cannot run. Run scripts/test.sh (it starts a throwaway " +
                $"PostgreSQL and sets it), or start one yourself and export {Variable}=\"Host=127.0.0.1;Port=55432;Username=baton;Database=postgres\".");
        }
        var database = new PostgresTestDatabase(server);
        await database.AdminAsync($"CREATE DATABASE {database._name};");
        return database;
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Whether <paramref name="bytes"/> occur in this database's files on disk (its tables, indexes and TOAST), after a
    /// CHECKPOINT has written every committed page there. The write-ahead log, shared by the whole server, is not
    /// scanned: PostgreSQL keeps what was written in it until its segments are recycled (docs/security.md says so).
    /// Needs the test server's superuser and read access to its data directory, as scripts/test.sh sets up.
    /// </summary>
    public async Task<bool> DataFilesContainAsync(byte[] bytes)
    {
        string folder;
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using (var checkpoint = new NpgsqlCommand("CHECKPOINT;", connection)) await checkpoint.ExecuteNonQueryAsync();
            await using var where = new NpgsqlCommand(
                "SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database WHERE datname = current_database();", connection);
            folder = (string)(await where.ExecuteScalarAsync())!;
        }
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var content = await File.ReadAllBytesAsync(file);
            if (content.AsSpan().IndexOf(bytes) >= 0) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync() => await AdminAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE);");
}
