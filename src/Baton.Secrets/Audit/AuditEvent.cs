namespace Baton.Secrets.Audit;

/// <summary>One line of the append-only audit log. Never holds a value; <see cref="Detail"/> passes the redactor.</summary>
public sealed record AuditEvent
{
    public long Id { get; init; }
    public long Time { get; init; }
    /// <summary>create, update, read, delete, restore, destroy, tags, resolve, rotate-keys, ...</summary>
    public required string Action { get; init; }
    /// <summary>ok, denied, failed, not-found, conflict.</summary>
    public required string Outcome { get; init; }
    public string? Secret { get; init; }
    public int? Version { get; init; }
    public string? Principal { get; init; }
    public string? WorkflowId { get; init; }
    public string? TaskId { get; init; }
    public string? TaskReferenceName { get; init; }
    public string? Detail { get; init; }
}

/// <summary>What an audit query asks for; every criterion set must hold. Newest first.</summary>
public sealed record AuditQuery
{
    public string? Secret { get; init; }
    public string? Principal { get; init; }
    public string? WorkflowId { get; init; }
    public string? Action { get; init; }
    public long? From { get; init; }
    public long? To { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>The append-only audit log. Append returns once the event is durable.</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default);
    /// <summary>Appends several events in one write (all or none), in order.</summary>
    Task AppendAllAsync(IReadOnlyList<AuditEvent> auditEvents, CancellationToken ct = default);
    Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default);
}
