using System.Text;
using System.Text.Json;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine.Persistence;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Runs in SQLite: one row per run (its JSON without the tasks, plus the columns searches filter on) and one row
/// per task attempt, so a change writes only what changed.
/// </summary>
public sealed class SqliteExecutionStore(SqliteDatabase database) : IExecutionStore
{
    public async Task SaveAsync(WorkflowChange change, CancellationToken ct = default)
    {
        var run = change.Workflow;
        // Serialized here, on the caller's thread, straight to UTF-8: the single writer only copies the bytes.
        var workflowJson = SerializeWithoutTasks(run);
        var tasks = change.Tasks.Select(t => (t.TaskId, t.Seq, Json: Utf8Json(t))).ToList();
        var removed = change.RemovedTaskIds;
        var resolutions = SqliteAuditLog.Encode(change.Resolutions);
        var (id, name, version, status, correlation, start, end, idempotencyKey, expected, owner) =
            (run.WorkflowId, run.WorkflowName, run.WorkflowVersion, run.Status.WireName(), run.CorrelationId, run.StartTime, run.EndTime, run.IdempotencyKey,
             run.StoreVersion, run.OwnerNode);
        await database.WriteAsync(connection =>
        {
            if (removed is { Count: > 0 })
            {
                foreach (var taskId in removed)
                {
                    using var delete = connection.CreateCommand();
                    delete.CommandText = "DELETE FROM task_logs WHERE task_id = $id; DELETE FROM tasks WHERE task_id = $id;";
                    delete.Parameters.AddWithValue("$id", taskId);
                    delete.ExecuteNonQuery();
                }
            }
            var written = expected == 0
                ? Run(connection, """
                    INSERT INTO workflows (workflow_id, workflow_name, workflow_version, status, correlation_id, start_time, end_time, json, idempotency_key, version, owner_node)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10)
                    ON CONFLICT (workflow_id) DO NOTHING;
                    """, id, name, version, status, (object?)correlation ?? DBNull.Value, start, end, workflowJson, (object?)idempotencyKey ?? DBNull.Value, (object?)owner ?? DBNull.Value)
                : Run(connection, """
                    UPDATE workflows SET workflow_name = ?2, workflow_version = ?3, status = ?4, correlation_id = ?5, start_time = ?6, end_time = ?7,
                        json = ?8, idempotency_key = ?9, version = version + 1
                    WHERE workflow_id = ?1 AND version = ?10;
                    """, id, name, version, status, (object?)correlation ?? DBNull.Value, start, end, workflowJson, (object?)idempotencyKey ?? DBNull.Value, expected);
            if (written == 0) throw new RunChangedElsewhereException(id);
            foreach (var (taskId, seq, json) in tasks)
            {
                Run(connection, """
                    INSERT INTO tasks (task_id, workflow_id, seq, json) VALUES (?1, ?2, ?3, ?4)
                    ON CONFLICT (task_id) DO UPDATE SET workflow_id = excluded.workflow_id, seq = excluded.seq, json = excluded.json;
                    """, taskId, id, seq, json);
            }
            SqliteAuditLog.Insert(database, connection, resolutions);
        }, ct);
        run.StoreVersion = expected + 1;
    }

    public Task<WorkflowRun?> FindByIdempotencyKeyAsync(string workflowName, string idempotencyKey, CancellationToken ct = default)
    {
        string? id;
        using (var connection = database.OpenRead())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT workflow_id FROM workflows WHERE workflow_name = $name AND idempotency_key = $key
                ORDER BY start_time DESC LIMIT 1;
                """;
            command.Parameters.AddWithValue("$name", workflowName);
            command.Parameters.AddWithValue("$key", idempotencyKey);
            id = command.ExecuteScalar() as string;
        }
        return id is null ? Task.FromResult<WorkflowRun?>(null) : GetWorkflowAsync(id, includeTasks: false, ct);
    }

    public Task<WorkflowRun?> GetWorkflowAsync(string workflowId, bool includeTasks, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        WorkflowRun? run;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT json, version, owner_node FROM workflows WHERE workflow_id = $id;";
            command.Parameters.AddWithValue("$id", workflowId);
            using var row = command.ExecuteReader();
            run = row.Read() ? BatonJson.Deserialize<WorkflowRun>(row.GetString(0)) : null;
            if (run is not null)
            {
                run.StoreVersion = row.GetInt64(1);
                run.OwnerNode = row.IsDBNull(2) ? null : row.GetString(2);
            }
        }
        if (run is not null && includeTasks)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT json FROM tasks WHERE workflow_id = $id ORDER BY seq;";
            command.Parameters.AddWithValue("$id", workflowId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (BatonJson.Deserialize<TaskRun>(reader.GetString(0)) is { } task) run.Tasks.Add(task);
            }
        }
        return Task.FromResult(run);
    }

    public Task<TaskRun?> GetTaskAsync(string taskId, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM tasks WHERE task_id = $id;";
        command.Parameters.AddWithValue("$id", taskId);
        return Task.FromResult(command.ExecuteScalar() is string json ? BatonJson.Deserialize<TaskRun>(json) : null);
    }

    public async Task<bool> RemoveWorkflowAsync(string workflowId, CancellationToken ct = default)
    {
        var removed = false;
        await database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                DELETE FROM task_logs WHERE task_id IN (SELECT task_id FROM tasks WHERE workflow_id = $id);
                DELETE FROM tasks WHERE workflow_id = $id;
                DELETE FROM workflows WHERE workflow_id = $id;
                """;
            command.Parameters.AddWithValue("$id", workflowId);
            command.ExecuteNonQuery();
            using var check = connection.CreateCommand();
            check.CommandText = "SELECT changes();";
            removed = Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }, ct);
        return removed;
    }

    public Task<IReadOnlyList<string>> GetRunningWorkflowIdsAsync(string? name, int? version, long? startedAfter, long? startedBefore, CancellationToken ct = default)
    {
        var sql = new StringBuilder("SELECT workflow_id FROM workflows WHERE status = 'RUNNING'");
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        if (name is not null) { sql.Append(" AND workflow_name = $name"); command.Parameters.AddWithValue("$name", name); }
        if (version is not null) { sql.Append(" AND workflow_version = $version"); command.Parameters.AddWithValue("$version", version.Value); }
        if (startedAfter is not null) { sql.Append(" AND start_time >= $after"); command.Parameters.AddWithValue("$after", startedAfter.Value); }
        if (startedBefore is not null) { sql.Append(" AND start_time <= $before"); command.Parameters.AddWithValue("$before", startedBefore.Value); }
        sql.Append(" ORDER BY start_time;");
        command.CommandText = sql.ToString();
        return Task.FromResult<IReadOnlyList<string>>(ReadStrings(command));
    }

    public Task<IReadOnlyList<string>> GetActiveWorkflowIdsAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT workflow_id FROM workflows WHERE status IN ('RUNNING', 'PAUSED') ORDER BY start_time;";
        return Task.FromResult<IReadOnlyList<string>>(ReadStrings(command));
    }

    public Task<SearchResult<WorkflowRun>> SearchAsync(WorkflowQuery query, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        var where = new StringBuilder(" WHERE 1 = 1");
        if (query.WorkflowName is not null) { where.Append(" AND workflow_name = $name"); command.Parameters.AddWithValue("$name", query.WorkflowName); }
        if (query.Version is not null) { where.Append(" AND workflow_version = $version"); command.Parameters.AddWithValue("$version", query.Version.Value); }
        if (query.WorkflowId is not null) { where.Append(" AND workflow_id = $id"); command.Parameters.AddWithValue("$id", query.WorkflowId); }
        if (query.CorrelationId is not null) { where.Append(" AND correlation_id = $correlation"); command.Parameters.AddWithValue("$correlation", query.CorrelationId); }
        if (query.StartedBy is not null) { where.Append(" AND json_extract(json, '$.createdBy') = $startedBy"); command.Parameters.AddWithValue("$startedBy", query.StartedBy); }
        if (query.StartedAfter is not null) { where.Append(" AND start_time >= $after"); command.Parameters.AddWithValue("$after", query.StartedAfter.Value); }
        if (query.StartedBefore is not null) { where.Append(" AND start_time <= $before"); command.Parameters.AddWithValue("$before", query.StartedBefore.Value); }
        if (query.Statuses is { Count: > 0 } statuses)
        {
            where.Append(" AND status IN (");
            for (var i = 0; i < statuses.Count; i++)
            {
                where.Append(i == 0 ? "" : ", ").Append("$s").Append(i);
                command.Parameters.AddWithValue($"$s{i}", statuses[i].WireName());
            }
            where.Append(')');
        }
        if (query.VisibleTo is { } visible)
        {
            where.Append(" AND (json_extract(json, '$.createdBy') = $starter");
            command.Parameters.AddWithValue("$starter", visible.Starter);
            var i = 0;
            foreach (var name in visible.WorkflowNames)
            {
                where.Append(i == 0 ? " OR workflow_name IN (" : ", ").Append("$v").Append(i);
                command.Parameters.AddWithValue($"$v{i++}", name);
            }
            where.Append(i == 0 ? ")" : "))");
        }
        if (!string.IsNullOrEmpty(query.FreeText) && query.FreeText != "*")
        {
            // Decoded values of the id, correlation id, input and output only: never field names, escapes or other fields.
            where.Append("""
                 AND (instr(workflow_id, $text) > 0 OR instr(IFNULL(correlation_id, ''), $text) > 0
                   OR EXISTS (SELECT 1 FROM json_tree(workflows.json, '$.input') WHERE type = 'text' AND instr(value, $text) > 0)
                   OR EXISTS (SELECT 1 FROM json_tree(workflows.json, '$.output') WHERE type = 'text' AND instr(value, $text) > 0))
                """);
            command.Parameters.AddWithValue("$text", query.FreeText);
        }
        command.CommandText = "SELECT COUNT(*) FROM workflows" + where + ";";
        var total = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "SELECT json FROM workflows" + where +
            (query.NewestFirst ? " ORDER BY start_time DESC" : " ORDER BY start_time ASC") + " LIMIT $size OFFSET $start;";
        command.Parameters.AddWithValue("$size", Math.Clamp(query.Size, 0, 1000));
        command.Parameters.AddWithValue("$start", Math.Max(0, query.Start));
        var result = new SearchResult<WorkflowRun> { TotalHits = total };
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (BatonJson.Deserialize<WorkflowRun>(reader.GetString(0)) is { } run) result.Results.Add(run);
        }
        return Task.FromResult(result);
    }

    public Task AddTaskLogsAsync(IReadOnlyList<TaskExecLog> logs, CancellationToken ct = default)
    {
        var rows = logs.ToList();
        return database.WriteAsync(connection =>
        {
            foreach (var log in rows)
            {
                using var command = connection.CreateCommand();
                command.CommandText = "INSERT INTO task_logs (task_id, log, created_time) VALUES ($task, $log, $time);";
                command.Parameters.AddWithValue("$task", log.TaskId);
                command.Parameters.AddWithValue("$log", (object?)log.Log ?? DBNull.Value);
                command.Parameters.AddWithValue("$time", log.CreatedTime);
                command.ExecuteNonQuery();
            }
        }, ct);
    }

    public Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT log, created_time FROM task_logs WHERE task_id = $task ORDER BY id;";
        command.Parameters.AddWithValue("$task", taskId);
        var logs = new List<TaskExecLog>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            logs.Add(new TaskExecLog { TaskId = taskId, Log = reader.IsDBNull(0) ? null : reader.GetString(0), CreatedTime = reader.GetInt64(1) });
        }
        return Task.FromResult<IReadOnlyList<TaskExecLog>>(logs);
    }

    public Task SavePollDataAsync(PollData data, CancellationToken ct = default)
    {
        var json = BatonJson.Serialize(data);
        return database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO poll_data (queue_name, domain, json) VALUES ($queue, $domain, $json) ON CONFLICT (queue_name, domain) DO UPDATE SET json = excluded.json;";
            command.Parameters.AddWithValue("$queue", data.QueueName);
            command.Parameters.AddWithValue("$domain", data.Domain ?? "");
            command.Parameters.AddWithValue("$json", json);
            command.ExecuteNonQuery();
        }, ct);
    }

    public Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM poll_data WHERE queue_name = $queue ORDER BY domain;";
        command.Parameters.AddWithValue("$queue", taskType);
        var list = new List<PollData>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (BatonJson.Deserialize<PollData>(reader.GetString(0)) is { } item) list.Add(item);
        }
        return Task.FromResult<IReadOnlyList<PollData>>(list);
    }

    /// <summary>The run's JSON without its tasks, which have rows of their own.</summary>
    private static byte[] SerializeWithoutTasks(WorkflowRun run) => Utf8Json(run.WithoutTasks());

    private static byte[] Utf8Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), BatonJson.Context);

    private static List<string> ReadStrings(SqliteCommand command)
    {
        var list = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    }
}
