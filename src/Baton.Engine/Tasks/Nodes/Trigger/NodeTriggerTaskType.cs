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
        var data = context.Run.Input["data"] as JsonObject;
        context.Finish(task, TaskOutcome.Completed(data is null ? [] : (JsonObject)data.DeepClone()));
        return true;
    }
}
