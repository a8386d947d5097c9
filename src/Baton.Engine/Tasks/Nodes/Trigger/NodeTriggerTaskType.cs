using Baton.Core.Runs;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Nodes.Trigger;

/// <summary>
/// A trigger node (SELF_SERVE_TRIGGER, SCHEDULE_TRIGGER, EVENT_TRIGGER). A run starts at the node the fired trigger
/// connects to, and the trigger's data (<see cref="NodeWiring.TriggerData"/>) is its output without an entry of its own;
/// a trigger that connects to nothing is the run's one entry, which completes at once with the trigger's data (a form's inputs, checked when the run was started; a schedule's times;
/// an event) as its output, <c>.outputs["&lt;trigger&gt;"]</c> to the nodes after it.
/// </summary>
public sealed class NodeTriggerTaskType : NodeTaskType
{
    public override string Name => NodeTypes.Trigger;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        context.Finish(task, TaskOutcome.Completed(NodeWiring.TriggerData(context.Run)));
        return true;
    }
}
