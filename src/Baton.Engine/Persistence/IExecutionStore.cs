using Baton.Core.Runs;

namespace Baton.Engine.Persistence;

/// <summary>
/// Where runs live. Every method that writes returns only once the change is durable: the engine acknowledges
/// nothing before that. Implemented once per storage provider and held to the compliance suite.
/// </summary>
public interface IExecutionStore
{
    /// <summary>
    /// Writes a run and the given tasks of it atomically (all or nothing), only if the stored run is still at
    /// <see cref="WorkflowRun.StoreVersion"/> (0: it must not exist yet); otherwise writes nothing and throws
    /// <see cref="RunChangedElsewhereException"/>. On success the run's <see cref="WorkflowRun.StoreVersion"/> is the new version.
    /// A new run is stored with its <see cref="WorkflowRun.OwnerNode"/>; later writes keep the stored owner.
    /// </summary>
    Task SaveAsync(WorkflowChange change, CancellationToken ct = default);

    /// <summary>The run with its <see cref="WorkflowRun.StoreVersion"/> and <see cref="WorkflowRun.OwnerNode"/> as stored.</summary>
    Task<WorkflowRun?> GetWorkflowAsync(string workflowId, bool includeTasks, CancellationToken ct = default);
    Task<TaskRun?> GetTaskAsync(string taskId, CancellationToken ct = default);
    /// <summary>The latest run of <paramref name="workflowName"/> started with <paramref name="idempotencyKey"/> (without tasks), if any.</summary>
    Task<WorkflowRun?> FindByIdempotencyKeyAsync(string workflowName, string idempotencyKey, CancellationToken ct = default);
    /// <returns>false when no run had that id.</returns>
    Task<bool> RemoveWorkflowAsync(string workflowId, CancellationToken ct = default);

    /// <summary>Ids of runs that are RUNNING, optionally of one definition (and version), and started in a time range.</summary>
    Task<IReadOnlyList<string>> GetRunningWorkflowIdsAsync(string? name, int? version, long? startedAfter, long? startedBefore, CancellationToken ct = default);
    /// <summary>Ids of every run that is not finished (RUNNING or PAUSED): what a restarted server carries on.</summary>
    Task<IReadOnlyList<string>> GetActiveWorkflowIdsAsync(CancellationToken ct = default);
    Task<SearchResult<WorkflowRun>> SearchAsync(WorkflowQuery query, CancellationToken ct = default);

    Task AddTaskLogsAsync(IReadOnlyList<TaskExecLog> logs, CancellationToken ct = default);
    Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken ct = default);

    Task SavePollDataAsync(PollData data, CancellationToken ct = default);
    Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken ct = default);
}
