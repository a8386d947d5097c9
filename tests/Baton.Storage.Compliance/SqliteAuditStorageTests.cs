using Baton.Secrets.Audit;
using Baton.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Storage.Compliance;

/// <summary>
/// What only the SQLite store can show about its audit storage: every query shape the API offers is served by an
/// index (the log grows for ever), and a database written before schema 4 upgrades with its manifests and audit intact.
/// </summary>
public sealed class SqliteAuditStorageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baton-audit-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "baton.db");

    public SqliteAuditStorageTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    public static TheoryData<string> QueryShapes() =>
    [
        "secret", "principal", "workflowId", "action", "time", "none", "secret+principal+time", "workflowId+action", "principal+from",
    ];

    [Theory]
    [MemberData(nameof(QueryShapes))]
    public async Task An_audit_query_walks_an_index_in_order_and_never_scans_the_log(string shape)
    {
        await using var database = Open();
        var has = shape.Split('+').ToHashSet();
        var query = new AuditQuery
        {
            Secret = has.Contains("secret") ? "a" : null,
            Principal = has.Contains("principal") ? "bob" : null,
            WorkflowId = has.Contains("workflowId") ? "wf-1" : null,
            Action = has.Contains("action") ? "resolve" : null,
            From = has.Contains("time") || has.Contains("from") ? 1 : null,
            To = has.Contains("time") ? 2 : null,
        };

        using var connection = database.OpenRead();
        using var command = SqliteAuditLog.QueryCommand(connection, query);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) plan.Add(reader.GetString(3));
        }

        var text = string.Join(" | ", plan);
        Assert.All(plan, step => Assert.False(step.StartsWith("SCAN", StringComparison.Ordinal) && !step.Contains("USING", StringComparison.Ordinal), text));
        if (query.Secret is not null) Assert.Contains(plan, step => step.StartsWith("SEARCH s USING PRIMARY KEY (secret=", StringComparison.Ordinal));
        if (shape == "secret") Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_schema_3_database_upgrades_with_its_manifests_pinned_and_its_audit_found_by_secret()
    {
        using (var old = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            old.Open();
            SqliteSchema.Migrate(old, target: 3);
            using var fill = old.CreateCommand();
            fill.CommandText = """
                INSERT INTO audit_log (time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name)
                VALUES (100, 'create', 'ok', 'alpha', 1, 'alice', NULL, NULL, NULL),
                       (200, 'resolve', 'ok', 'alpha', 1, 'app:x', 'wf-1', 't-1', 'one'),
                       (200, 'resolve', 'ok', 'beta', 3, 'app:x', 'wf-1', 't-1', 'one'),
                       (300, 'resolve', 'ok', 'alpha', 1, 'app:x', 'wf-1', 't-2', 'two');
                INSERT INTO run_secrets (workflow_id, secret, version, fingerprint, first_used_at)
                VALUES ('wf-1', 'alpha', 1, 'hmac:aaaa', 200), ('wf-1', 'beta', 3, 'hmac:bbbb', 200), ('wf-2', 'alpha', 1, 'hmac:aaaa', 150);
                INSERT INTO run_secret_tasks (workflow_id, secret, version, task_reference_name)
                VALUES ('wf-1', 'alpha', 1, 'one'), ('wf-1', 'beta', 3, 'one'), ('wf-1', 'alpha', 1, 'two'), ('wf-2', 'alpha', 1, 'x');
                """;
            fill.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = Open();
        var manifests = new SqliteRunManifestStore(database);
        var audit = new SqliteAuditLog(database);

        var entries = await manifests.GetAsync("wf-1");
        Assert.Equal([("alpha", 1, "hmac:aaaa", 200L), ("beta", 3, "hmac:bbbb", 200L)], entries.Select(e => (e.Secret, e.Version, e.Fingerprint, e.FirstUsedAt)));
        Assert.Equal([["one", "two"], ["one"]], entries.Select(e => e.TaskReferenceNames));
        Assert.Equal(["x"], Assert.Single(await manifests.GetAsync("wf-2")).TaskReferenceNames);

        var resolves = await audit.QueryAsync(new AuditQuery { Secret = "alpha", Action = AuditActions.Resolve });
        Assert.Equal([300L, 200L], resolves.Select(e => e.Time));
        Assert.Equal(["alpha", "alpha"], resolves.Select(e => e.Secret));
        Assert.Equal(["resolve", "resolve", "create"],
            (await audit.QueryAsync(new AuditQuery { Secret = "alpha", To = 300 })).Select(e => e.Action).Where(a => a != "manifest-carried-over"));
        Assert.Equal(3, (await audit.QueryAsync(new AuditQuery { Principal = "app:x" })).Count);
    }

    private SqliteDatabase Open() => new(DatabasePath, new SqliteOptions(), NullLogger<SqliteDatabase>.Instance);
}
