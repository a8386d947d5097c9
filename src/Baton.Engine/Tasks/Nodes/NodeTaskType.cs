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

    protected static IEnumerable<WorkflowTask> Target(DecisionContext context, string? reference) =>
        reference is not null && context.Graph.Find(reference) is { } target ? [target] : [];
}
