using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Nodes.Trigger;

/// <summary>
/// A trigger node (SELF_SERVE_TRIGGER, SCHEDULE_TRIGGER, EVENT_TRIGGER): the run starts at the one that fired, which
/// completes at once with the trigger's data (a form's inputs, checked when the run was started; a schedule's times;
/// an event) as its output, <c>.outputs["&lt;trigger&gt;"]</c> to the nodes after it.
/// </summary>
public sealed class NodeTriggerTaskType : NodeTaskType
{
    public override string Name => NodeTypes.Trigger;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var output = context.Run.Input["data"] is JsonObject data ? (JsonObject)data.DeepClone() : [];
        // A schedule trigger's run: the scheduler put the due time in the run's input.
        if (context.Run.Input["_scheduledTime"] is JsonValue due && due.TryGetValue<long>(out var ms)) output["scheduledTime"] = NodeContext.Time(ms);
        context.Finish(task, TaskOutcome.Completed(output));
        return true;
    }
}
