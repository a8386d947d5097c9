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
    /// <summary>
    /// The keyed fingerprint of the version's value (as in the run manifest). Only on the events read back from a
    /// <see cref="SecretResolution"/>; <see cref="IAuditLog.AppendAsync"/> does not store it.
    /// </summary>
    public string? Fingerprint { get; init; }
    public string? Principal { get; init; }
    public string? WorkflowId { get; init; }
    public string? TaskId { get; init; }
    public string? TaskReferenceName { get; init; }
    public string? Detail { get; init; }
}

/// <summary>The audit actions the stores themselves give meaning to.</summary>
public static class AuditActions
{
    /// <summary>A resolution of secrets for a task (ok, or why not).</summary>
    public const string Resolve = "resolve";

    /// <summary>A run's manifest starts afresh here (a restart): its earlier resolutions no longer pin versions.</summary>
    public const string ManifestReset = "manifest-reset";
}

/// <summary>One secret a hand-off was given: which version, and the keyed fingerprint of its value (never the value).</summary>
public sealed record ResolvedSecret(string Name, int Version, string Fingerprint);

/// <summary>
/// One successful hand-off: the secrets a task of a run was given together, at one time, for one principal. Stored
/// as one audit event (one row, not one per secret: it is the writer's hot path under load), read back by
/// <see cref="IAuditLog.QueryAsync"/> as one <c>resolve</c> event per secret, all with the event's id, and by
/// <see cref="Store.IRunManifestStore.GetAsync"/> as the run's manifest. Failed resolutions stay plain events.
/// </summary>
public sealed record SecretResolution(
    long Time,
    string? Principal,
    string WorkflowId,
    string TaskId,
    string TaskReferenceName,
    IReadOnlyList<ResolvedSecret> Secrets);

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

/// <summary>
/// The append-only audit log. Appends return once durable. Queries by secret, principal, run and time must be served
/// by an index: the log grows for ever.
/// </summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default);

    /// <summary>Appends the successful resolutions of hand-offs in one write (all or none), in order.</summary>
    Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default);

    /// <summary>
    /// Newest first (by time, then latest appended first); a resolution gives one <c>resolve</c> event per secret it
    /// names (only the asked-for secret's when <see cref="AuditQuery.Secret"/> is set), counted against the limit.
    /// </summary>
    Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default);
}
