using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;
using Baton.Engine.Tasks.JsonJqTransform;
using Baton.Jq;

namespace Baton.Engine.Tasks.Nodes.Condition;

/// <summary>
/// CONDITION: its outlets' jq expressions are evaluated in order against the run's contexts (<c>.outputs</c>,
/// <c>.workflow</c>, <c>.workflowRun</c>; never secrets); the first whose first result is neither false nor null
/// wins and its connection is followed; else the fallback connection, if any; else this branch of the run ends. Output
/// <c>selectedOutlet.identifier</c> (null when none matched) and <c>fallback</c>. An expression that fails fails the
/// node, naming the outlet, the expression and jq's message.
/// </summary>
public sealed class NodeConditionTaskType : NodeTaskType
{
    public override string Name => NodeTypes.Condition;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        context.Finish(task, Evaluate(context.Run, task));
        return true;
    }

    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry)
    {
        if (entry.OutputData["selectedOutlet"]?["identifier"] is JsonValue chosen && chosen.GetValueKind() == JsonValueKind.String)
        {
            return Target(context, NodeWiring.OutletTarget(task, chosen.GetValue<string>()));
        }
        return entry.OutputData["fallback"] is JsonValue fallback && fallback.GetValueKind() == JsonValueKind.True
            ? Target(context, NodeWiring.Fallback(task))
            : [];
    }

    private static TaskOutcome Evaluate(WorkflowRun run, TaskRun task)
    {
        var workflowTask = task.WorkflowTask!;
        var scope = NodeContext.For(run, task);
        if (NodeWiring.Config(workflowTask)["outlets"] is JsonArray outlets)
        {
            for (var i = 0; i < outlets.Count; i++)
            {
                if (outlets[i] is not JsonObject outlet || outlet["identifier"]?.GetValue<string>() is not { } identifier) continue;
                var expression = outlet["expression"] is JsonValue e && e.GetValueKind() == JsonValueKind.String ? e.GetValue<string>() : "false";
                JsonNode? result;
                try
                {
                    result = JsonJqTransformTask.Compiled(expression).First(scope);
                }
                catch (Exception ex) when (ex is JqParseException or JqRuntimeException)
                {
                    return TaskOutcome.Failed(
                        $"CONDITION node '{task.ReferenceTaskName}': outlet '{identifier}' ($.config.outlets[{i}].expression) `{expression}` failed: {ex.Message}");
                }
                if (result is not null && !(result is JsonValue v && v.GetValueKind() == JsonValueKind.False))
                {
                    return TaskOutcome.Completed(new JsonObject { ["selectedOutlet"] = new JsonObject { ["identifier"] = identifier }, ["fallback"] = false });
                }
            }
        }
        var hasFallback = NodeWiring.Fallback(workflowTask) is not null;
        return TaskOutcome.Completed(new JsonObject { ["selectedOutlet"] = null, ["fallback"] = hasFallback });
    }
}
