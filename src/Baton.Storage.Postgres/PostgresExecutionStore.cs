using System.Text;
using System.Text.Json;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine.Persistence;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// Runs in PostgreSQL, as in SQLite: one row per run (its JSON without the tasks, plus the columns searches filter on)
/// and one row per task attempt, so a change writes only what changed. A change is group-committed with the others
/// waiting (<see cref="PostgresDatabase.GroupWriteAsync"/>: one transaction, one round trip), with the audit rows of the
/// secrets its tasks will be given (see <see cref="PostgresAuditLog"/>).
/// </summary>
public sealed class PostgresExecutionStore(PostgresDatabase database) : IExecutionStore
{
    /// <summary>A new run: written only if no run has its id (else the write is refused, see <see cref="Refused"/>).</summary>
    private const string InsertRun = """
        WITH written AS (
            INSERT INTO workflows (workflow_id, workflow_name, workflow_version, status, correlation_id, start_time, end_time, created_by, idempotency_key, json, version, owner_node)
            VALUES (@id, @name, @version, @status, @correlation, @start, @end, @createdBy, @idempotency, @json, 1, @owner)
            ON CONFLICT (workflow_id) DO NOTHING RETURNING 1)
        SELECT baton_run_changed(@id) WHERE NOT EXISTS (SELECT 1 FROM written);
        """;

    /// <summary>A change: written only if the stored run is still the version it was decided on; the owner stays.</summary>
    private const string UpdateRun = """
        WITH written AS (
            UPDATE workflows SET workflow_name = @name, workflow_version = @version, status = @status, correlation_id = @correlation,
                start_time = @start, end_time = @end, created_by = @createdBy, idempotency_key = @idempotency, json = @json, version = version + 1
            WHERE workflow_id = @id AND version = @expected RETURNING 1)
        SELECT baton_run_changed(@id) WHERE NOT EXISTS (SELECT 1 FROM written);
        """;

    /// <summary>The SQLSTATE <c>baton_run_changed</c> raises.</summary>
    internal const string Refused = "BT409";

    private const string UpsertTask = """
        INSERT INTO tasks (task_id, workflow_id, seq, json) VALUES (@task, @workflow, @seq, @json)
        ON CONFLICT (task_id) DO UPDATE SET workflow_id = excluded.workflow_id, seq = excluded.seq, json = excluded.json;
        """;

    public async Task SaveAsync(WorkflowChange change, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var run = change.Workflow;
        var expected = run.StoreVersion;
        // Serialized here, on the caller's thread: the group writer only sends what it is given.
        var runJson = Json(run.WithoutTasks());
        var tasks = change.Tasks.Select(t => (t.TaskId, t.Seq, Json: Json(t))).ToList();
        var removed = change.RemovedTaskIds ?? [];
        var resolutions = change.Resolutions;
        try
        {
            await database.GroupWriteAsync(batch =>
            {
                // The run first: a refused write stops the transaction before anything else of it is sent.
                batch.BatchCommands.Add(Command(expected == 0 ? InsertRun : UpdateRun, Text("id", run.WorkflowId), Text("name", run.WorkflowName),
                    Int("version", run.WorkflowVersion), Text("status", run.Status.WireName()), Text("correlation", run.CorrelationId), Long("start", run.StartTime),
                    Long("end", run.EndTime), Text("createdBy", run.CreatedBy), Text("idempotency", run.IdempotencyKey), Text("json", runJson),
                    expected == 0 ? Text("owner", run.OwnerNode) : Long("expected", expected)));
                foreach (var taskId in removed)
                {
                    batch.BatchCommands.Add(Command("DELETE FROM task_logs WHERE task_id = @id;", Text("id", taskId)));
                    batch.BatchCommands.Add(Command("DELETE FROM tasks WHERE task_id = @id;", Text("id", taskId)));
                }
                foreach (var (taskId, seq, json) in tasks)
                {
                    batch.BatchCommands.Add(Command(UpsertTask, Text("task", taskId), Text("workflow", run.WorkflowId), Int("seq", seq), Text("json", json)));
                }
                PostgresAuditLog.Append(batch, resolutions);
            });
        }
        catch (PostgresException e) when (e.SqlState == Refused)
        {
            throw new RunChangedElsewhereException(run.WorkflowId);
        }
        run.StoreVersion = expected + 1;
    }

    public async Task<WorkflowRun?> FindByIdempotencyKeyAsync(string workflowName, string idempotencyKey, CancellationToken ct = default)
    {
        string? id;
        await using (var connection = await database.OpenAsync(ct))
        await using (var command = Create(connection, null, """
            SELECT workflow_id FROM workflows WHERE workflow_name = @name AND idempotency_key = @key ORDER BY start_time DESC LIMIT 1;
            """, Text("name", workflowName), Text("key", idempotencyKey)))
        {
            id = await command.ExecuteScalarAsync(ct) as string;
        }
        return id is null ? null : await GetWorkflowAsync(id, includeTasks: false, ct);
    }

    public async Task<WorkflowRun?> GetWorkflowAsync(string workflowId, bool includeTasks, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        // The run and its tasks as of one moment.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        WorkflowRun? run;
        await using (var command = Create(connection, transaction, "SELECT json, version, owner_node FROM workflows WHERE workflow_id = @id;", Text("id", workflowId)))
        await using (var row = await command.ExecuteReaderAsync(ct))
        {
            run = await row.ReadAsync(ct) ? BatonJson.Deserialize<WorkflowRun>(row.GetString(0)) : null;
            if (run is not null)
            {
                run.StoreVersion = row.GetInt64(1);
                run.OwnerNode = row.StringOrNull(2);
            }
        }
        if (run is not null && includeTasks)
        {
            await using var command = Create(connection, transaction, "SELECT json FROM tasks WHERE workflow_id = @id ORDER BY seq;", Text("id", workflowId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (BatonJson.Deserialize<TaskRun>(reader.GetString(0)) is { } task) run.Tasks.Add(task);
            }
        }
        await transaction.CommitAsync(ct);
        return run;
    }

    public async Task<TaskRun?> GetTaskAsync(string taskId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, "SELECT json FROM tasks WHERE task_id = @id;", Text("id", taskId));
        return await command.ExecuteScalarAsync(ct) is string json ? BatonJson.Deserialize<TaskRun>(json) : null;
    }

    public async Task<bool> RemoveWorkflowAsync(string workflowId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, "DELETE FROM task_logs WHERE task_id IN (SELECT task_id FROM tasks WHERE workflow_id = @id);", ct, Text("id", workflowId));
        await ExecuteAsync(connection, transaction, "DELETE FROM tasks WHERE workflow_id = @id;", ct, Text("id", workflowId));
        var removed = await ExecuteAsync(connection, transaction, "DELETE FROM workflows WHERE workflow_id = @id;", ct, Text("id", workflowId)) > 0;
        await transaction.CommitAsync(ct);
        return removed;
    }

    public async Task<IReadOnlyList<string>> GetRunningWorkflowIdsAsync(string? name, int? version, long? startedAfter, long? startedBefore, CancellationToken ct = default)
    {
        var sql = new StringBuilder("SELECT workflow_id FROM workflows WHERE status = 'RUNNING'");
        if (name is not null) sql.Append(" AND workflow_name = @name");
        if (version is not null) sql.Append(" AND workflow_version = @version");
        if (startedAfter is not null) sql.Append(" AND start_time >= @after");
        if (startedBefore is not null) sql.Append(" AND start_time <= @before");
        sql.Append(" ORDER BY start_time;");
        return await ReadStringsAsync(sql.ToString(), ct, Text("name", name), Int("version", version), Long("after", startedAfter), Long("before", startedBefore));
    }

    public async Task<IReadOnlyList<string>> GetActiveWorkflowIdsAsync(CancellationToken ct = default) =>
        await ReadStringsAsync("SELECT workflow_id FROM workflows WHERE status IN ('RUNNING', 'PAUSED') ORDER BY start_time;", ct);

    public async Task<SearchResult<WorkflowRun>> SearchAsync(WorkflowQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder(" WHERE true");
        var parameters = new List<NpgsqlParameter>();
        void Add(string condition, NpgsqlParameter parameter)
        {
            where.Append(condition);
            parameters.Add(parameter);
        }
        if (query.WorkflowName is not null) Add(" AND workflow_name = @name", Text("name", query.WorkflowName));
        if (query.Version is not null) Add(" AND workflow_version = @version", Int("version", query.Version));
        if (query.WorkflowId is not null) Add(" AND workflow_id = @id", Text("id", query.WorkflowId));
        if (query.CorrelationId is not null) Add(" AND correlation_id = @correlation", Text("correlation", query.CorrelationId));
        if (query.StartedBy is not null) Add(" AND created_by = @startedBy", Text("startedBy", query.StartedBy));
        if (query.StartedAfter is not null) Add(" AND start_time >= @after", Long("after", query.StartedAfter));
        if (query.StartedBefore is not null) Add(" AND start_time <= @before", Long("before", query.StartedBefore));
        if (query.Statuses is { Count: > 0 } statuses) Add(" AND status = ANY(@statuses)", Texts("statuses", [.. statuses.Select(s => s.WireName())]));
        if (query.VisibleTo is { } visible)
        {
            Add(" AND (created_by = @starter", Text("starter", visible.Starter));
            Add(" OR workflow_name = ANY(@visible))", Texts("visible", [.. visible.WorkflowNames]));
        }
        if (!string.IsNullOrEmpty(query.FreeText) && query.FreeText != "*")
        {
            // Decoded string values of the id, correlation id, input and output only: never field names or other fields.
            Add("""
                 AND (strpos(workflow_id, @text) > 0 OR strpos(coalesce(correlation_id, ''), @text) > 0
                   OR EXISTS (SELECT 1 FROM jsonb_path_query(json::jsonb, 'strict $.input.**') v WHERE jsonb_typeof(v) = 'string' AND strpos(v #>> '{}', @text) > 0)
                   OR EXISTS (SELECT 1 FROM jsonb_path_query(json::jsonb, 'strict $.output.**') v WHERE jsonb_typeof(v) = 'string' AND strpos(v #>> '{}', @text) > 0))
                """, Text("text", query.FreeText));
        }
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        long total;
        await using (var count = Create(connection, transaction, "SELECT count(*) FROM workflows" + where + ";", [.. parameters.Select(p => p.Clone())]))
        {
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        parameters.Add(Int("size", Math.Clamp(query.Size, 0, 1000)));
        parameters.Add(Int("start", Math.Max(0, query.Start)));
        var result = new SearchResult<WorkflowRun> { TotalHits = total };
        await using (var page = Create(connection, transaction, "SELECT json FROM workflows" + where +
            (query.NewestFirst ? " ORDER BY start_time DESC" : " ORDER BY start_time ASC") + " LIMIT @size OFFSET @start;", [.. parameters]))
        await using (var reader = await page.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (BatonJson.Deserialize<WorkflowRun>(reader.GetString(0)) is { } run) result.Results.Add(run);
            }
        }
        await transaction.CommitAsync(ct);
        return result;
    }

    public async Task AddTaskLogsAsync(IReadOnlyList<TaskExecLog> logs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var log in logs)
            {
                batch.BatchCommands.Add(Command("INSERT INTO task_logs (task_id, log, created_time) VALUES (@task, @log, @time);",
                    Text("task", log.TaskId), Text("log", log.Log), Long("time", log.CreatedTime)));
            }
            await batch.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, "SELECT log, created_time FROM task_logs WHERE task_id = @task ORDER BY id;", Text("task", taskId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var logs = new List<TaskExecLog>();
        while (await reader.ReadAsync(ct)) logs.Add(new TaskExecLog { TaskId = taskId, Log = reader.StringOrNull(0), CreatedTime = reader.GetInt64(1) });
        return logs;
    }

    public async Task SavePollDataAsync(PollData data, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        await using var connection = await database.OpenAsync(ct);
        await ExecuteAsync(connection, null,
            "INSERT INTO poll_data (queue_name, domain, json) VALUES (@queue, @domain, @json) ON CONFLICT (queue_name, domain) DO UPDATE SET json = excluded.json;",
            ct, Text("queue", data.QueueName), Text("domain", data.Domain ?? ""), Text("json", BatonJson.Serialize(data)));
    }

    public async Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, "SELECT json FROM poll_data WHERE queue_name = @queue ORDER BY domain COLLATE \"C\";", Text("queue", taskType));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<PollData>();
        while (await reader.ReadAsync(ct))
        {
            if (BatonJson.Deserialize<PollData>(reader.GetString(0)) is { } item) list.Add(item);
        }
        return list;
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static string Json<T>(T value) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), BatonJson.Context));

    private async Task<List<string>> ReadStringsAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<string>();
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }
}
