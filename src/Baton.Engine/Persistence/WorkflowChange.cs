using Baton.Core.Runs;
using Baton.Secrets.Audit;
using Baton.Secrets.Store;

namespace Baton.Engine.Persistence;

/// <summary>
/// One atomic write: the run's own fields, the tasks that changed, tasks to drop (a restart), and the audit events
/// and manifest entries of the secret resolutions the tasks scheduled by this change will get at hand-off (so they
/// are durable with the commit, before any value is handed over).
/// </summary>
public sealed record WorkflowChange(
    WorkflowRun Workflow,
    IReadOnlyList<TaskRun> Tasks,
    IReadOnlyList<string>? RemovedTaskIds = null)
{
    public IReadOnlyList<AuditEvent> AuditEvents { get; init; } = [];
    public IReadOnlyList<ManifestRecord> ManifestRecords { get; init; } = [];
}
