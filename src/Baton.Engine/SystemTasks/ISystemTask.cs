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

    Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct);
}

/// <summary>One execution of a system task.</summary>
/// <param name="Task">The task as stored (its input holds references, never resolved values).</param>
/// <param name="Input">The input to act on, as handed over for this execution only; never persisted.</param>
/// <param name="Principal">Who started the run.</param>
public sealed record SystemTaskContext(TaskRun Task, JsonObject Input, string? Principal);

/// <summary>How a system task execution ended.</summary>
/// <param name="RedactWholeRun">The task taught the redactor a new value (UPDATE_SECRET): every stored part of
/// the run passes the redactor again before this outcome is committed.</param>
/// <param name="SubWorkflowId">The run a SUB_WORKFLOW task started.</param>
public sealed record TaskOutcome(TaskStatus Status, JsonObject Output, string? Reason = null, bool RedactWholeRun = false, string? SubWorkflowId = null)
{
    /// <summary>The execution failed because its peer did not answer in time (a node's <c>onTimeout</c> decides what that does).</summary>
    public bool TimedOut { get; init; }

    /// <summary>Log lines the execution wrote (a verbose node's request and response); they pass the redactor on the way to the task's log.</summary>
    public IReadOnlyList<string>? Logs { get; init; }

    /// <summary>A node run's links, rendered from its <c>links</c> templates when it completed (see <see cref="Tasks.Nodes.NodeOutcomes"/>).</summary>
    public List<string>? Links { get; init; }

    public static TaskOutcome Completed(JsonObject output) => new(TaskStatus.Completed, output);
    public static TaskOutcome Failed(string reason, JsonObject? output = null) => new(TaskStatus.Failed, output ?? [], reason);
}
