using Baton.Core.Runs;

namespace Baton.Engine.Persistence;

/// <summary>One atomic write: the run's own fields, the tasks that changed, and tasks to drop (a restart).</summary>
public sealed record WorkflowChange(
    WorkflowRun Workflow,
    IReadOnlyList<TaskRun> Tasks,
    IReadOnlyList<string>? RemovedTaskIds = null);
