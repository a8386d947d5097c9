using Baton.Secrets.Audit;
using Baton.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Storage.Compliance;

/// <summary>
/// What only the SQLite store can show about its audit storage: every query shape the API offers is served by an
/// index (the log grows for ever), queries see the events whose keys are not filed yet, and a database written before
/// schema 4 upgrades with its manifests and audit intact.
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
        var commands = SqliteAuditLog.QueryCommands(connection, query);
        var plans = commands.Select(Plan).ToList();
        foreach (var command in commands) command.Dispose();

        foreach (var plan in plans)
        {
            var text = string.Join(" | ", plan);
            // A scan of the log is a SCAN without an index; json_each's over one row's secrets is a virtual table.
            Assert.All(plan, step => Assert.False(step.StartsWith("SCAN", StringComparison.Ordinal) && !step.Contains("USING", StringComparison.Ordinal) && !step.Contains("VIRTUAL TABLE", StringComparison.Ordinal), text));
        }
        var walk = string.Join(" | ", plans[0]);
        Assert.True(plans.Count == 1 || walk.Contains("SEARCH k USING PRIMARY KEY (key=", StringComparison.Ordinal), walk);
        // The filed events come in key order, the limit stops the walk; only the newer rows (fewer than a step) are sorted.
        if (plans.Count == 2) Assert.DoesNotContain("TEMP B-TREE", walk, StringComparison.Ordinal);
        if (plans.Count == 2) Assert.True(plans[1].Exists(step => step.Contains("INTEGER PRIMARY KEY (rowid>?)", StringComparison.Ordinal)), string.Join(" | ", plans[1]));
        Assert.Equal((query.Secret ?? query.Principal ?? query.WorkflowId ?? query.Action) is null ? 1 : 2, plans.Count);

        static List<string> Plan(SqliteCommand command)
        {
            command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
            var plan = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read()) plan.Add(reader.GetString(3));
            return plan;
        }
    }

    [Fact]
    public async Task Queries_and_manifests_see_every_event_whether_or_not_its_keys_are_filed_yet()
    {
        await using var database = Open();
        var audit = new SqliteAuditLog(database);
        var manifests = new SqliteRunManifestStore(database);
        // 2.5 steps of events, appended in one commit: the first two steps are filed, the rest are not yet.
        var count = SqliteAuditLog.IndexStep * 5 / 2;
        var resolutions = Enumerable.Range(1, count).Select(i => new SecretResolution(
            1_000 + i, i % 2 == 0 ? "app:even" : "app:odd", $"wf-{i % 3}", $"t-{i}", $"task{i}",
            [new ResolvedSecret("alpha", 1, "hmac:a"), new ResolvedSecret(i % 5 == 0 ? "beta" : "gamma", 2, "hmac:b")])).ToList();
        var encoded = SqliteAuditLog.Encode(resolutions);
        await database.WriteAsync(connection => SqliteAuditLog.Insert(connection, encoded));
        await audit.AppendAsync(new AuditEvent { Time = 5_000, Action = "update", Outcome = "ok", Secret = "beta", Version = 3, Principal = "alice" });

        using (var connection = database.OpenRead())
        using (var through = connection.CreateCommand())
        {
            through.CommandText = "SELECT through FROM audit_indexed;";
            Assert.Equal(2L * SqliteAuditLog.IndexStep, Convert.ToInt64(through.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }

        var all = Enumerable.Range(1, count).ToList();
        var betas = await audit.QueryAsync(new AuditQuery { Secret = "beta", Limit = 10_000 });
        Assert.Equal([5_000L, .. all.Where(i => i % 5 == 0).Select(i => 1_000L + i).Reverse()], betas.Select(e => e.Time));
        Assert.Equal([3, .. all.Where(i => i % 5 == 0).Select(_ => 2)], betas.Select(e => e.Version));

        // A limit that ends among the filed events, after every newer one.
        var newest = await audit.QueryAsync(new AuditQuery { Secret = "alpha", Limit = SqliteAuditLog.IndexStep });
        Assert.Equal(all.AsEnumerable().Reverse().Take(SqliteAuditLog.IndexStep).Select(i => 1_000L + i), newest.Select(e => e.Time));

        var odd = await audit.QueryAsync(new AuditQuery { Principal = "app:odd", Action = AuditActions.Resolve, From = 1_100, Limit = 10_000 });
        Assert.Equal(all.Where(i => i % 2 == 1 && 1_000 + i >= 1_100).Count() * 2, odd.Count);
        Assert.All(odd, e => Assert.Equal("app:odd", e.Principal));

        var run = await audit.QueryAsync(new AuditQuery { WorkflowId = "wf-1", Secret = "gamma", Limit = 10_000 });
        Assert.Equal(all.Where(i => i % 3 == 1 && i % 5 != 0).Select(i => $"t-{i}").Reverse(), run.Select(e => e.TaskId));

        var manifest = await manifests.GetAsync("wf-2");
        Assert.Equal(["alpha", "gamma", "beta"], manifest.Select(e => e.Secret));
        Assert.Equal(all.Where(i => i % 3 == 2).Select(i => $"task{i}"), manifest[0].TaskReferenceNames);
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
