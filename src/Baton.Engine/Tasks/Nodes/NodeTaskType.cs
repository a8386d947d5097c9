using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>
/// What every node shares: it exists only in node workflows (validated there, by the node validator), and what follows
/// it is the target of its connection, not the next task in a list.
/// </summary>
public abstract class NodeTaskType : TaskType
{
    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry) =>
        Target(context, NodeWiring.Next(task));

    /// <summary>An action node is stored with its config rendered, but for the fields that read secrets, which keep their template.</summary>
    protected static JsonObject DisplayInput(WorkflowRun run, WorkflowTask task, string taskId, long now) =>
        new() { ["config"] = NodeTemplates.DisplayConfig(task, NodeContext.For(run, taskId, now)) };

    protected static IEnumerable<WorkflowTask> Target(DecisionContext context, string? reference) =>
        reference is not null && context.Graph.Find(reference) is { } target ? [target] : [];
}
