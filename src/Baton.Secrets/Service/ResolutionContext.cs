namespace Baton.Secrets.Service;

/// <summary>Who needs a secret, for which run and task: what the audit event and the manifest record.</summary>
public sealed record ResolutionContext(string WorkflowId, string TaskId, string TaskReferenceName, string? Principal);

/// <summary>
/// Resolutions prepared ahead of a hand-off: the versions the task will get, and the audit events and manifest
/// entries to make durable (in the caller's commit) before it gets them.
/// </summary>
public sealed class PreparedResolutions(
    IReadOnlyDictionary<string, int> versions,
    IReadOnlyList<Audit.AuditEvent> auditEvents,
    IReadOnlyList<Store.ManifestRecord> manifestRecords,
    object state)
{
    public IReadOnlyDictionary<string, int> Versions { get; } = versions;
    public IReadOnlyList<Audit.AuditEvent> AuditEvents { get; } = auditEvents;
    public IReadOnlyList<Store.ManifestRecord> ManifestRecords { get; } = manifestRecords;
    internal object State { get; } = state;
}
