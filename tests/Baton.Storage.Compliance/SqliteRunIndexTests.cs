using Baton.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Storage.Compliance;

/// <summary>
/// Runs by status are filed in start order whatever their workflow's name and version (schema 7): the queries that
/// filter on a status read them in that order, and a run that ends is filed beside the other recent ones, never in
/// the middle of the index because of its version number.
/// </summary>
public sealed class SqliteRunIndexTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baton-runs-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "baton.db");

    public SqliteRunIndexTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_schema_6_database_upgrades_to_runs_by_status_in_start_order()
    {
        using (var old = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            old.Open();
            SqliteSchema.Migrate(old, target: 6);
            using var fill = old.CreateCommand();
            fill.CommandText = """
                INSERT INTO workflows (workflow_id, workflow_name, workflow_version, status, start_time, end_time, json) VALUES
                    ('late-v1', 'flow', 1, 'RUNNING', 300, 0, '{}'),
                    ('early-v2', 'flow', 2, 'RUNNING', 100, 0, '{}'),
                    ('middle-v1', 'flow', 1, 'RUNNING', 200, 0, '{}'),
                    ('done', 'flow', 2, 'COMPLETED', 150, 160, '{}');
                """;
            fill.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = new SqliteDatabase(DatabasePath, new SqliteOptions(), NullLogger<SqliteDatabase>.Instance);
        var store = new SqliteExecutionStore(database);
        Assert.Equal(["early-v2", "middle-v1", "late-v1"], await store.GetRunningWorkflowIdsAsync(null, null, null, null));
        Assert.Equal(["middle-v1", "late-v1"], await store.GetRunningWorkflowIdsAsync("flow", 1, null, null));

        using var connection = database.OpenRead();
        Assert.Equal(["status", "start_time"], Read(connection, "SELECT name FROM pragma_index_info('workflows_by_status') ORDER BY seqno;"));
        // The running runs of a name, in start order, straight from the index: no scan of the table, no sort.
        var plan = string.Join(" | ", Read(connection,
            "EXPLAIN QUERY PLAN SELECT workflow_id FROM workflows WHERE status = 'RUNNING' AND workflow_name = 'flow' ORDER BY start_time;", column: 3));
        Assert.Contains("USING INDEX workflows_by_status (status=?)", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    private static List<string> Read(SqliteConnection connection, string sql, int column = 0)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(column));
        return values;
    }
}
