using System.Text;
using System.Text.Json;
using Baton.Core.Schedules;
using Baton.Engine.Persistence;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Schedules and their fires in SQLite (<c>schedules</c>, <c>schedule_executions</c>, migration 8). A claim is one
/// transaction: the fire's row (unique per schedule and due time) and the schedule's next due time, guarded by the
/// schedule's <c>updated_time</c> so a claim made from a copy read before a save, pause or resume writes nothing.
/// </summary>
public sealed class SqliteScheduleStore(SqliteDatabase database) : IScheduleStore
{
    /// <summary>Ended fires kept per schedule (Orkes keeps 1,000 by default); older ones are dropped as new ones end.</summary>
    public const int KeptFiresPerSchedule = 1000;

    private static readonly ScheduleJsonContext Json = ScheduleJsonContext.Readable;

    public Task SaveScheduleAsync(WorkflowSchedule schedule, CancellationToken ct = default)
    {
        var name = schedule.Name ?? throw new ArgumentException("a schedule needs a name", nameof(schedule));
        var workflow = schedule.StartWorkflowRequest?.Name ?? throw new ArgumentException("a schedule needs a workflow", nameof(schedule));
        var json = JsonSerializer.Serialize(schedule, Json.WorkflowSchedule);
        return database.WriteAsync(connection => Execute(connection, """
            INSERT INTO schedules (name, workflow_name, updated_time, next_run_time, json) VALUES ($name, $workflow, $updated, $next, $json)
            ON CONFLICT (name) DO UPDATE SET workflow_name = excluded.workflow_name, updated_time = excluded.updated_time,
                next_run_time = excluded.next_run_time, json = excluded.json;
            """, ("$name", name), ("$workflow", workflow), ("$updated", schedule.UpdatedTime ?? 0), ("$next", schedule.NextRunTime), ("$json", json)), ct);
    }

    public Task<WorkflowSchedule?> GetScheduleAsync(string name, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        return Task.FromResult(ReadSchedules(connection, " WHERE name = $name", ("$name", name)).FirstOrDefault());
    }

    public Task<IReadOnlyList<WorkflowSchedule>> ListSchedulesAsync(string? workflowName = null, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        return Task.FromResult<IReadOnlyList<WorkflowSchedule>>(workflowName is null
            ? ReadSchedules(connection, "")
            : ReadSchedules(connection, " WHERE workflow_name = $workflow", ("$workflow", workflowName)));
    }

    public async Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default)
    {
        var deleted = false;
        await database.WriteAsync(connection =>
        {
            Execute(connection, "DELETE FROM schedule_executions WHERE schedule_name = $name;", ("$name", name));
            deleted = Execute(connection, "DELETE FROM schedules WHERE name = $name;", ("$name", name)) > 0;
        }, ct);
        return deleted;
    }

    public async Task<bool> ClaimFireAsync(ScheduleExecution fire, long? nextRunTime, long expectedUpdatedTime, CancellationToken ct = default)
    {
        var json = JsonSerializer.Serialize(fire, Json.ScheduleExecution);
        var claimed = false;
        await database.WriteAsync(connection =>
        {
            var moved = Execute(connection, "UPDATE schedules SET next_run_time = $next WHERE name = $name AND updated_time = $updated;",
                ("$next", nextRunTime), ("$name", fire.ScheduleName), ("$updated", expectedUpdatedTime));
            if (moved == 0) return;
            var inserted = Execute(connection, """
                INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, state, workflow_name, workflow_id, json)
                VALUES ($id, $schedule, $time, $state, $workflow, $workflowId, $json)
                ON CONFLICT DO NOTHING;
                """, ("$id", fire.ExecutionId), ("$schedule", fire.ScheduleName), ("$time", fire.ScheduledTime), ("$state", fire.State),
                ("$workflow", fire.WorkflowName), ("$workflowId", fire.WorkflowId), ("$json", json));
            // A due time fired already: its next due time moves on all the same (it was computed past that time).
            claimed = inserted > 0;
        }, ct);
        return claimed;
    }

    public Task UpdateFireAsync(ScheduleExecution fire, CancellationToken ct = default)
    {
        var json = JsonSerializer.Serialize(fire, Json.ScheduleExecution);
        return database.WriteAsync(connection =>
        {
            Execute(connection, "UPDATE schedule_executions SET state = $state, workflow_id = $workflowId, json = $json WHERE execution_id = $id;",
                ("$state", fire.State), ("$workflowId", fire.WorkflowId), ("$json", json), ("$id", fire.ExecutionId));
            Execute(connection, """
                DELETE FROM schedule_executions WHERE schedule_name = $schedule AND state <> 'POLLED' AND scheduled_time <
                    (SELECT scheduled_time FROM schedule_executions WHERE schedule_name = $schedule ORDER BY scheduled_time DESC LIMIT 1 OFFSET $keep);
                """, ("$schedule", fire.ScheduleName), ("$keep", KeptFiresPerSchedule - 1));
        }, ct);
    }

    public Task<IReadOnlyList<ScheduleExecution>> GetPendingFiresAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = Create(connection, "SELECT json FROM schedule_executions WHERE state = 'POLLED' ORDER BY scheduled_time;");
        return Task.FromResult<IReadOnlyList<ScheduleExecution>>(ReadFires(command));
    }

    public Task<ScheduleExecutionPage> SearchFiresAsync(ScheduleFireQuery query, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var where = new StringBuilder(" WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        if (query.ScheduleNames is { } names)
        {
            where.Append(" AND schedule_name IN (SELECT value FROM json_each($names))");
            parameters.Add(("$names", JsonSerializer.Serialize(names.ToList(), Core.Json.BatonJson.Context.ListString)));
        }
        if (query.WorkflowName is { } workflow)
        {
            where.Append(" AND workflow_name = $workflow");
            parameters.Add(("$workflow", workflow));
        }
        if (query.WorkflowId is { } workflowId)
        {
            where.Append(" AND workflow_id = $workflowId");
            parameters.Add(("$workflowId", workflowId));
        }
        if (query.State is { } state)
        {
            where.Append(" AND state = $state");
            parameters.Add(("$state", state));
        }
        if (!string.IsNullOrEmpty(query.FreeText) && query.FreeText != "*")
        {
            where.Append(" AND (instr(schedule_name, $text) > 0 OR instr(coalesce(workflow_name, ''), $text) > 0 OR instr(coalesce(workflow_id, ''), $text) > 0" +
                " OR instr(coalesce(json_extract(json, '$.reason'), ''), $text) > 0)");
            parameters.Add(("$text", query.FreeText));
        }
        long total;
        using (var count = Create(connection, "SELECT count(*) FROM schedule_executions" + where + ";", [.. parameters]))
        {
            total = (long)count.ExecuteScalar()!;
        }
        parameters.Add(("$size", Math.Max(0, query.Size)));
        parameters.Add(("$start", Math.Max(0, query.Start)));
        using var page = Create(connection,
            $"SELECT json FROM schedule_executions{where} ORDER BY scheduled_time {(query.NewestFirst ? "DESC" : "ASC")}, execution_id LIMIT $size OFFSET $start;",
            [.. parameters]);
        return Task.FromResult(new ScheduleExecutionPage(total, ReadFires(page)));
    }

    private static List<WorkflowSchedule> ReadSchedules(SqliteConnection connection, string filter, params ReadOnlySpan<(string, object?)> parameters)
    {
        using var command = Create(connection, $"SELECT json, next_run_time FROM schedules{filter} ORDER BY name;", parameters);
        using var reader = command.ExecuteReader();
        var list = new List<WorkflowSchedule>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize(reader.GetString(0), Json.WorkflowSchedule) is not { } schedule) continue;
            schedule.NextRunTime = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            list.Add(schedule);
        }
        return list;
    }

    private static List<ScheduleExecution> ReadFires(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<ScheduleExecution>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize(reader.GetString(0), Json.ScheduleExecution) is { } fire) list.Add(fire);
        }
        return list;
    }
}
