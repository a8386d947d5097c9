using System.Text;
using Microsoft.Data.Sqlite;
using Baton.Secrets.Audit;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>The audit log in SQLite: insert-only; the id is assigned here, in append order.</summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    public Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return AppendAllAsync([auditEvent], ct);
    }

    public Task AppendAllAsync(IReadOnlyList<AuditEvent> auditEvents, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvents);
        var events = auditEvents.ToList();
        return database.WriteAsync(connection => Insert(connection, events), ct);
    }

    /// <summary>Appends inside a write already under way (a run's commit carrying the audit of its hand-offs).</summary>
    internal static void Insert(SqliteConnection connection, IReadOnlyList<AuditEvent> events)
    {
        InsertRows(connection,
            "INSERT INTO audit_log (time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail)", "",
            events, e => [e.Time, e.Action, e.Outcome, e.Secret, e.Version, e.Principal, e.WorkflowId, e.TaskId, e.TaskReferenceName, e.Detail]);
    }

    public Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("""
            SELECT id, time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail
            FROM audit_log WHERE 1 = 1
            """);
        if (query.Secret is not null) sql.Append(" AND secret = $secret");
        if (query.Principal is not null) sql.Append(" AND principal = $principal");
        if (query.WorkflowId is not null) sql.Append(" AND workflow_id = $workflow");
        if (query.Action is not null) sql.Append(" AND action = $action");
        if (query.From is not null) sql.Append(" AND time >= $from");
        if (query.To is not null) sql.Append(" AND time <= $to");
        sql.Append(" ORDER BY time DESC, id DESC LIMIT $limit;");

        using var connection = database.OpenRead();
        using var command = Create(connection, sql.ToString(),
            ("$secret", query.Secret), ("$principal", query.Principal), ("$workflow", query.WorkflowId), ("$action", query.Action),
            ("$from", query.From), ("$to", query.To), ("$limit", Math.Max(0, query.Limit)));
        using var reader = command.ExecuteReader();
        var events = new List<AuditEvent>();
        while (reader.Read())
        {
            events.Add(new AuditEvent
            {
                Id = reader.GetInt64(0),
                Time = reader.GetInt64(1),
                Action = reader.GetString(2),
                Outcome = reader.GetString(3),
                Secret = reader.GetStringOrNull(4),
                Version = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                Principal = reader.GetStringOrNull(6),
                WorkflowId = reader.GetStringOrNull(7),
                TaskId = reader.GetStringOrNull(8),
                TaskReferenceName = reader.GetStringOrNull(9),
                Detail = reader.GetStringOrNull(10),
            });
        }
        return Task.FromResult<IReadOnlyList<AuditEvent>>(events);
    }
}
