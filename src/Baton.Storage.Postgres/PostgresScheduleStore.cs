using System.Text;
using System.Text.Json;
using Baton.Core.Schedules;
using Baton.Engine.Persistence;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// Schedules and their fires in PostgreSQL, as in SQLite: a claim is one transaction that moves the schedule's next
/// due time (guarded by its <c>updated_time</c>) and records the fire, unique per schedule and due time, so two
/// nodes claiming the same due time at once record it once: the second insert finds the first's row and writes nothing.
/// </summary>
public sealed class PostgresScheduleStore(PostgresDatabase database) : IScheduleStore
{
    /// <summary>Ended fires kept per schedule (Orkes keeps 1,000 by default); older ones are dropped as new ones end.</summary>
    public const int KeptFiresPerSchedule = 1000;

    private static readonly ScheduleJsonContext Json = ScheduleJsonContext.Readable;

    public async Task SaveScheduleAsync(WorkflowSchedule schedule, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var name = schedule.Name ?? throw new ArgumentException("a schedule needs a name", nameof(schedule));
        var workflow = schedule.StartWorkflowRequest?.Name ?? throw new ArgumentException("a schedule needs a workflow", nameof(schedule));
        await using var connection = await database.OpenAsync(ct);
        await ExecuteAsync(connection, null, """
            INSERT INTO schedules (name, workflow_name, updated_time, next_run_time, json) VALUES (@name, @workflow, @updated, @next, @json)
            ON CONFLICT (name) DO UPDATE SET workflow_name = excluded.workflow_name, updated_time = excluded.updated_time,
                next_run_time = excluded.next_run_time, json = excluded.json;
            """, ct, Text("name", name), Text("workflow", workflow), Long("updated", schedule.UpdatedTime ?? 0), Long("next", schedule.NextRunTime),
            Text("json", JsonSerializer.Serialize(schedule, Json.WorkflowSchedule)));
    }

    public async Task<WorkflowSchedule?> GetScheduleAsync(string name, CancellationToken ct = default) =>
        (await ReadSchedulesAsync(" WHERE name = @name", ct, Text("name", name))).FirstOrDefault();

    public async Task<IReadOnlyList<WorkflowSchedule>> ListSchedulesAsync(string? workflowName = null, CancellationToken ct = default) =>
        workflowName is null ? await ReadSchedulesAsync("", ct) : await ReadSchedulesAsync(" WHERE workflow_name = @workflow", ct, Text("workflow", workflowName));

    public async Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, "DELETE FROM schedule_executions WHERE schedule_name = @name;", ct, Text("name", name));
        var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM schedules WHERE name = @name;", ct, Text("name", name)) > 0;
        await transaction.CommitAsync(ct);
        return deleted;
    }

    public async Task<bool> ClaimFireAsync(ScheduleExecution fire, long? nextRunTime, long expectedUpdatedTime, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fire);
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var moved = await ExecuteAsync(connection, transaction, "UPDATE schedules SET next_run_time = @next WHERE name = @name AND updated_time = @updated;",
            ct, Long("next", nextRunTime), Text("name", fire.ScheduleName), Long("updated", expectedUpdatedTime));
        if (moved == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        var inserted = await ExecuteAsync(connection, transaction, """
            INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, state, workflow_name, workflow_id, json)
            VALUES (@id, @schedule, @time, @state, @workflow, @workflowId, @json) ON CONFLICT DO NOTHING;
            """, ct, Text("id", fire.ExecutionId), Text("schedule", fire.ScheduleName), Long("time", fire.ScheduledTime), Text("state", fire.State),
            Text("workflow", fire.WorkflowName), Text("workflowId", fire.WorkflowId), Text("json", JsonSerializer.Serialize(fire, Json.ScheduleExecution)));
        // A due time fired already: its next due time moves on all the same (it was computed past that time).
        await transaction.CommitAsync(ct);
        return inserted > 0;
    }

    public async Task UpdateFireAsync(ScheduleExecution fire, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fire);
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, "UPDATE schedule_executions SET state = @state, workflow_id = @workflowId, json = @json WHERE execution_id = @id;",
            ct, Text("state", fire.State), Text("workflowId", fire.WorkflowId), Text("json", JsonSerializer.Serialize(fire, Json.ScheduleExecution)), Text("id", fire.ExecutionId));
        await ExecuteAsync(connection, transaction, """
            DELETE FROM schedule_executions WHERE schedule_name = @schedule AND state <> 'POLLED' AND scheduled_time <
                (SELECT scheduled_time FROM schedule_executions WHERE schedule_name = @schedule ORDER BY scheduled_time DESC LIMIT 1 OFFSET @keep);
            """, ct, Text("schedule", fire.ScheduleName), Int("keep", KeptFiresPerSchedule - 1));
        await transaction.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<ScheduleExecution>> GetPendingFiresAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, "SELECT json FROM schedule_executions WHERE state = 'POLLED' ORDER BY scheduled_time;");
        return await ReadFiresAsync(command, ct);
    }

    public async Task<ScheduleExecutionPage> SearchFiresAsync(ScheduleFireQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder(" WHERE true");
        var parameters = new List<NpgsqlParameter>();
        if (query.ScheduleNames is { } names)
        {
            where.Append(" AND schedule_name = ANY(@names)");
            parameters.Add(Texts("names", [.. names]));
        }
        if (query.WorkflowName is { } workflow)
        {
            where.Append(" AND workflow_name = @workflow");
            parameters.Add(Text("workflow", workflow));
        }
        if (query.WorkflowId is { } workflowId)
        {
            where.Append(" AND workflow_id = @workflowId");
            parameters.Add(Text("workflowId", workflowId));
        }
        if (query.State is { } state)
        {
            where.Append(" AND state = @state");
            parameters.Add(Text("state", state));
        }
        if (!string.IsNullOrEmpty(query.FreeText) && query.FreeText != "*")
        {
            // strpos, not LIKE: the text is matched as it is, with no wildcard of its own.
            where.Append(" AND (strpos(schedule_name, @text) > 0 OR strpos(coalesce(workflow_name, ''), @text) > 0 OR strpos(coalesce(workflow_id, ''), @text) > 0" +
                " OR strpos(coalesce(json::jsonb ->> 'reason', ''), @text) > 0)");
            parameters.Add(Text("text", query.FreeText));
        }
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        long total;
        await using (var count = Create(connection, transaction, "SELECT count(*) FROM schedule_executions" + where + ";", [.. parameters.Select(Clone)]))
        {
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        parameters.Add(Int("size", Math.Max(0, query.Size)));
        parameters.Add(Int("start", Math.Max(0, query.Start)));
        await using var page = Create(connection, transaction,
            $"SELECT json FROM schedule_executions{where} ORDER BY scheduled_time {(query.NewestFirst ? "DESC" : "ASC")}, execution_id COLLATE \"C\" LIMIT @size OFFSET @start;",
            [.. parameters]);
        var fires = await ReadFiresAsync(page, ct);
        await transaction.CommitAsync(ct);
        return new ScheduleExecutionPage(total, fires);
    }

    /// <summary>A parameter belongs to one command; the count and the page each get their own.</summary>
    private static NpgsqlParameter Clone(NpgsqlParameter p) => p.Clone();

    private async Task<List<WorkflowSchedule>> ReadSchedulesAsync(string filter, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, $"SELECT json, next_run_time FROM schedules{filter} ORDER BY name COLLATE \"C\";", parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<WorkflowSchedule>();
        while (await reader.ReadAsync(ct))
        {
            if (JsonSerializer.Deserialize(reader.GetString(0), Json.WorkflowSchedule) is not { } schedule) continue;
            schedule.NextRunTime = reader.Int64OrNull(1);
            list.Add(schedule);
        }
        return list;
    }

    private static async Task<List<ScheduleExecution>> ReadFiresAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<ScheduleExecution>();
        while (await reader.ReadAsync(ct))
        {
            if (JsonSerializer.Deserialize(reader.GetString(0), Json.ScheduleExecution) is { } fire) list.Add(fire);
        }
        return list;
    }
}
