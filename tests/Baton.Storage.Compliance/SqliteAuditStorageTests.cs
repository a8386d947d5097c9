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
        var plan = SqliteAuditLog.QueryPlan.For(query);
        Assert.Equal(query.Secret is not null ? "s:a" : query.WorkflowId is not null ? "w:wf-1" : query.Principal is not null ? "p:bob" : query.Action is not null ? "a:resolve" : "t:", plan.Key);
        // The events not filed yet: by rowid, fewer than a step (only those are sorted).
        var newest = Plan(connection, plan.Newest, query);
        AssertNoScan(newest);
        Assert.Contains(newest, step => step.Contains("INTEGER PRIMARY KEY (rowid>?)", StringComparison.Ordinal));
        // The key's steps in order of their latest time: no sort, so the walk can stop early.
        var steps = Plan(connection, plan.Steps, query);
        AssertNoScan(steps);
        Assert.Contains(steps, step => step.Contains("SEARCH audit_steps USING PRIMARY KEY (key=", StringComparison.Ordinal));
        Assert.DoesNotContain(steps, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
        // One step's rows: a rowid range.
        var rows = Plan(connection, plan.StepRows, query);
        AssertNoScan(rows);
        Assert.Contains(rows, step => step.Contains("INTEGER PRIMARY KEY (rowid>? AND rowid<?)", StringComparison.Ordinal));

        static void AssertNoScan(List<string> plan)
        {
            var text = string.Join(" | ", plan);
            // A scan of the log is a SCAN without an index; json_each's over one row's secrets is a virtual table.
            Assert.All(plan, step => Assert.False(step.StartsWith("SCAN", StringComparison.Ordinal) && !step.Contains("USING", StringComparison.Ordinal) && !step.Contains("VIRTUAL TABLE", StringComparison.Ordinal), text));
        }

        static List<string> Plan(SqliteConnection connection, string sql, AuditQuery query)
        {
            using var command = SqliteAuditLog.QueryPlan.Command(connection, "EXPLAIN QUERY PLAN " + sql, query);
            command.Parameters.AddWithValue("$key", "s:a");
            command.Parameters.AddWithValue("$step", 1L);
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
        await database.WriteAsync(connection => SqliteAuditLog.Insert(database, connection, encoded));
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
    public async Task A_step_is_filed_whole_after_a_restart_in_its_middle_and_a_rolled_back_filing()
    {
        static AuditEvent Event(int i, string principal) => new() { Time = 10_000 + i, Action = "read", Outcome = "ok", Secret = $"s{i % 7}", Principal = principal };
        var early = SqliteAuditLog.IndexStep - 2;
        await using (var database = Open())
        {
            await database.WriteAsync(connection =>
            {
                for (var i = 1; i <= early; i++) SqliteAuditLog.Insert(database, connection, Event(i, "early"));
            });
        }
        SqliteConnection.ClearAllPools();

        // A new process: the keys of the step's first events are only in their rows.
        await using (var database = Open())
        {
            // A write that crosses the step's end and then fails: its rows and its filing are rolled back.
            await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync(connection =>
            {
                for (var i = 0; i < 5; i++) SqliteAuditLog.Insert(database, connection, Event(early + i, "rolled-back"));
                throw new InvalidOperationException("the job fails after its appends");
            }));
            await database.WriteAsync(connection =>
            {
                for (var i = 1; i <= 5; i++) SqliteAuditLog.Insert(database, connection, Event(early + i, "late"));
            });

            using (var connection = database.OpenRead())
            using (var through = connection.CreateCommand())
            {
                through.CommandText = "SELECT through FROM audit_indexed;";
                Assert.Equal((long)SqliteAuditLog.IndexStep, Convert.ToInt64(through.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
            }
            var audit = new SqliteAuditLog(database);
            // Every early event is in the filed step, so only the step's keys can find them.
            Assert.Equal(Enumerable.Range(1, early).Reverse().Select(i => 10_000L + i),
                (await audit.QueryAsync(new AuditQuery { Principal = "early", Limit = 10_000 })).Select(e => e.Time));
            Assert.Equal(Enumerable.Range(1, early).Where(i => i % 7 == 3).Reverse().Select(i => 10_000L + i),
                (await audit.QueryAsync(new AuditQuery { Secret = "s3", Principal = "early", Limit = 10_000 })).Select(e => e.Time));
            Assert.Equal(5, (await audit.QueryAsync(new AuditQuery { Principal = "late" })).Count);
            Assert.Empty(await audit.QueryAsync(new AuditQuery { Principal = "rolled-back" }));
        }
    }

    [Fact]
    public async Task A_query_by_key_finds_the_newest_by_time_when_an_older_step_holds_them()
    {
        await using var database = Open();
        var audit = new SqliteAuditLog(database);
        var step = SqliteAuditLog.IndexStep;
        // The first step's events carry later times than the second step's and the ones not filed yet.
        await database.WriteAsync(connection =>
        {
            for (var i = 1; i <= 2 * step + 10; i++)
            {
                SqliteAuditLog.Insert(database, connection, new AuditEvent { Time = i <= step ? 50_000 + i : 1_000 + i, Action = "read", Outcome = "ok", Secret = "k", Principal = "p" });
            }
        });

        Assert.Equal(Enumerable.Range(step - 4, 5).Reverse().Select(i => 50_000L + i),
            (await audit.QueryAsync(new AuditQuery { Secret = "k", Limit = 5 })).Select(e => e.Time));
        Assert.Equal([1_400L, 1_399L, 1_398L], (await audit.QueryAsync(new AuditQuery { Principal = "p", To = 1_400, Limit = 3 })).Select(e => e.Time));
        Assert.Equal(2 * step + 10, (await audit.QueryAsync(new AuditQuery { Principal = "p", Limit = 10_000 })).Count);
    }

    [Fact]
    public async Task After_commit_actions_run_for_the_writes_that_committed_and_not_for_one_that_failed_alone()
    {
        await using var database = Open();
        using var gate = new ManualResetEventSlim();
        // Holds the writer so the writes below wait together and go in one batch, which then runs job by job.
        var blocker = database.WriteAsync(_ => gate.Wait(TimeSpan.FromSeconds(30)));
        var ran = new System.Collections.Concurrent.ConcurrentBag<int>();
        var writes = Enumerable.Range(0, 6).Select(i => database.WriteAsync(_ =>
        {
            database.AfterCommit(() => ran.Add(i));
            if (i == 2) throw new InvalidOperationException("this write fails alone");
        })).ToList();
        gate.Set();
        await blocker;

        await Assert.ThrowsAsync<InvalidOperationException>(() => writes[2]);
        await Task.WhenAll(writes.Where((_, i) => i != 2));
        Assert.Equal([0, 1, 3, 4, 5], ran.Order());
    }

    [Fact]
    public async Task A_schema_5_log_upgrades_with_its_complete_steps_filed_and_the_rest_read_directly()
    {
        var count = SqliteAuditLog.IndexStep + 44;
        using (var old = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            old.Open();
            SqliteSchema.Migrate(old, target: 5);
            using var fill = old.CreateCommand();
            fill.CommandText = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
                INSERT INTO audit_log (time, action, outcome, principal, workflow_id, secrets)
                SELECT 1000 + i, 'resolve', 'ok', CASE i % 2 WHEN 0 THEN 'app:even' ELSE 'app:odd' END, 'wf-' || (i % 3),
                       '[["alpha",1,"hmac:a"],["beta",2,"hmac:b"]]' FROM n;
                """;
            fill.Parameters.AddWithValue("$count", count);
            fill.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var database = Open();
        var audit = new SqliteAuditLog(database);
        using (var connection = database.OpenRead())
        using (var through = connection.CreateCommand())
        {
            through.CommandText = "SELECT through FROM audit_indexed;";
            Assert.Equal((long)SqliteAuditLog.IndexStep, Convert.ToInt64(through.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
        var all = Enumerable.Range(1, count).ToList();
        Assert.Equal(all.Where(i => i % 2 == 0).Reverse().Select(i => 1_000L + i),
            (await audit.QueryAsync(new AuditQuery { Principal = "app:even", Secret = "beta", Limit = 10_000 })).Select(e => e.Time));
        Assert.Equal(all.Where(i => i % 3 == 1).Count() * 2, (await audit.QueryAsync(new AuditQuery { WorkflowId = "wf-1", Limit = 10_000 })).Count);
        Assert.Equal([1_010L, 1_009L], (await audit.QueryAsync(new AuditQuery { From = 1_009, To = 1_010, Secret = "alpha" })).Select(e => e.Time));
        Assert.Equal(["alpha", "beta"], (await new SqliteRunManifestStore(database).GetAsync("wf-2")).Select(e => e.Secret));

        // The step under way goes on from the rows the upgrade left unfiled.
        await database.WriteAsync(connection =>
        {
            for (var i = count + 1; i <= 2 * SqliteAuditLog.IndexStep; i++)
            {
                SqliteAuditLog.Insert(database, connection, new AuditEvent { Time = 1_000 + i, Action = "read", Outcome = "ok", Secret = "gamma", Principal = "app:odd" });
            }
        });
        Assert.Equal(all.Count(i => i % 2 == 1) * 2 + (2 * SqliteAuditLog.IndexStep - count),
            (await audit.QueryAsync(new AuditQuery { Principal = "app:odd", Limit = 10_000 })).Count);
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
