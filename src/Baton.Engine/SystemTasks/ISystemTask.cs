using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.SystemTasks;

/// <summary>A task type the server executes itself.</summary>
public interface ISystemTask
{
    string Type { get; }

    /// <summary>True for tasks that wait on I/O: they run on the system task pool after their scheduling is committed.
    /// The others run inside the decider, in the same commit as their scheduling.</summary>
    bool RunsAsync { get; }

    /// <param name="task">The task as stored (its input holds references, never resolved values).</param>
    /// <param name="input">The input to act on, as handed off for this execution only; never persisted.</param>
    Task<TaskOutcome> ExecuteAsync(TaskRun task, JsonObject input, CancellationToken ct);
}

/// <summary>How a system task execution ended.</summary>
public sealed record TaskOutcome(TaskStatus Status, JsonObject Output, string? Reason = null)
{
    public static TaskOutcome Completed(JsonObject output) => new(TaskStatus.Completed, output);
    public static TaskOutcome Failed(string reason, JsonObject? output = null) => new(TaskStatus.Failed, output ?? [], reason);
}
