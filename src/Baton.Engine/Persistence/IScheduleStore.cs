using Baton.Core.Schedules;

namespace Baton.Engine.Persistence;

/// <summary>
/// Where schedules and their fires live. Every write returns only once it is durable. A fire is claimed (recorded
/// with its due time, unique per schedule and due time, and the schedule's next due time moved on) in one atomic
/// write before its run is started, so a server that stops at any instant neither loses a due time nor fires one
/// twice. Implemented once per storage provider and held to the compliance suite.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Creates or replaces a schedule (its <see cref="WorkflowSchedule.NextRunTime"/> included).</summary>
    Task SaveScheduleAsync(WorkflowSchedule schedule, CancellationToken ct = default);

    Task<WorkflowSchedule?> GetScheduleAsync(string name, CancellationToken ct = default);

    /// <summary>Every schedule, or those that start <paramref name="workflowName"/>, ordered by name.</summary>
    Task<IReadOnlyList<WorkflowSchedule>> ListSchedulesAsync(string? workflowName = null, CancellationToken ct = default);

    /// <summary>Deletes a schedule and its fires.</summary>
    /// <returns>false when no schedule had that name.</returns>
    Task<bool> DeleteScheduleAsync(string name, CancellationToken ct = default);

    /// <summary>
    /// Claims one fire, atomically: records <paramref name="fire"/> (its state POLLED) and sets the schedule's next due
    /// time to <paramref name="nextRunTime"/>, but only if the schedule still exists with <paramref name="expectedUpdatedTime"/>
    /// (nobody saved, paused or resumed it since it was read) and no fire of it has that due time yet.
    /// </summary>
    /// <returns>false when nothing was written: the schedule changed or went away, or that due time was fired already.</returns>
    Task<bool> ClaimFireAsync(ScheduleExecution fire, long? nextRunTime, long expectedUpdatedTime, CancellationToken ct = default);

    /// <summary>Records how a claimed fire ended (its state, run id, reason and time), by its execution id.</summary>
    Task UpdateFireAsync(ScheduleExecution fire, CancellationToken ct = default);

    /// <summary>Fires still POLLED: claimed but not known to have started their run (what recovery finishes).</summary>
    Task<IReadOnlyList<ScheduleExecution>> GetPendingFiresAsync(CancellationToken ct = default);

    Task<ScheduleExecutionPage> SearchFiresAsync(ScheduleFireQuery query, CancellationToken ct = default);
}

/// <summary>What a search of fires asks for. Every criterion that is set must hold.</summary>
public sealed record ScheduleFireQuery
{
    /// <summary>Only fires of these schedules (the caller's visible ones). Null: every schedule.</summary>
    public IReadOnlyCollection<string>? ScheduleNames { get; init; }
    public string? WorkflowName { get; init; }
    public string? WorkflowId { get; init; }
    public string? State { get; init; }
    /// <summary>Text that must occur in the schedule name, workflow name, workflow id or reason.</summary>
    public string? FreeText { get; init; }
    public int Start { get; init; }
    public int Size { get; init; } = 100;
    /// <summary>By due time, newest first unless false.</summary>
    public bool NewestFirst { get; init; } = true;
}
