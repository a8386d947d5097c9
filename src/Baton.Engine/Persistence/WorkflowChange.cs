using Baton.Core.Runs;
using Baton.Secrets.Audit;

namespace Baton.Engine.Persistence;

/// <summary>
/// One atomic write: the run's own fields, the tasks that changed, tasks to drop (a restart), and the secret
/// resolutions (audit events, which are also the run's manifest) the tasks scheduled by this change will get at
/// hand-off (so they are durable with the commit, before any value is handed over).
/// </summary>
public sealed record WorkflowChange(
    WorkflowRun Workflow,
    IReadOnlyList<TaskRun> Tasks,
    IReadOnlyList<string>? RemovedTaskIds = null)
{
    public IReadOnlyList<SecretResolution> Resolutions { get; init; } = [];
}
