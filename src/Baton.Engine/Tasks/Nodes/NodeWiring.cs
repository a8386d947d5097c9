using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>
/// How a node workflow stands compiled in a <see cref="WorkflowDef"/> (docs/architecture.md, "Node workflows"): each
/// node is a task whose extension data holds the node as written (<c>node</c>), the target of its one connection
/// (<c>next</c>), and for a branching node its outlets' targets (<c>outlets</c>) and the <c>fallback</c>. A run's
/// input names the trigger that fired (<c>trigger</c>) and carries that trigger's data (<c>data</c>).
/// </summary>
public static class NodeWiring
{
    /// <summary>The definition's extension field holding the node document as written; its presence marks a node workflow.</summary>
    public const string DocumentField = "nodeWorkflow";

    private static readonly ConditionalWeakTable<WorkflowTask, JsonObject> Nodes = [];

    public static bool IsNodeWorkflow(WorkflowDef def) => def.Extra?.ContainsKey(DocumentField) == true;

    /// <summary>Whether a task is a node of a node workflow.</summary>
    public static bool IsNodeTask(WorkflowTask task) => task.Type.StartsWith("NODE_", StringComparison.Ordinal);

    /// <summary>The node as written (shared, read-only: never change it).</summary>
    public static JsonObject Node(WorkflowTask task) =>
        Nodes.GetValue(task, t => t.Extra is { } extra && extra.TryGetValue("node", out var node) && node.ValueKind == JsonValueKind.Object
            ? JsonObject.Create(node)!
            : []);

    /// <summary>The node's <c>config</c> as written (shared, read-only).</summary>
    public static JsonObject Config(WorkflowTask task) => Node(task)["config"] as JsonObject ?? [];

    /// <summary>A string field of the node's config, or null.</summary>
    public static string? ConfigText(WorkflowTask task, string field) =>
        Config(task)[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>The target of a non-branching node's one connection, if it has one.</summary>
    public static string? Next(WorkflowTask task) => Text(task, "next");

    /// <summary>The target of a branching node's outlet, if connected.</summary>
    public static string? OutletTarget(WorkflowTask task, string outlet) =>
        task.Extra is { } extra && extra.TryGetValue("outlets", out var outlets) && outlets.ValueKind == JsonValueKind.Object
        && outlets.TryGetProperty(outlet, out var target) && target.ValueKind == JsonValueKind.String
            ? target.GetString()
            : null;

    /// <summary>The target of a CONDITION's fallback connection, if it has one.</summary>
    public static string? Fallback(WorkflowTask task) => Text(task, "fallback");

    /// <summary>The trigger that fired the run, as its input names it.</summary>
    public static string? TriggerOf(WorkflowRun run) =>
        run.Input["trigger"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>
    /// The task a run starts with: for a node workflow, the node the fired trigger connects to (the trigger itself is
    /// no task: its data is the run's input, <see cref="TriggerData"/>, one entry fewer per run), or the trigger when it
    /// connects to nothing; else the definition's first task.
    /// </summary>
    public static WorkflowTask StartingTask(WorkflowRun run)
    {
        var def = run.WorkflowDefinition;
        if (IsNodeWorkflow(def) && TriggerOf(run) is { } trigger)
        {
            foreach (var task in def.Tasks)
            {
                if (task.TaskReferenceName != trigger || task.Type != NodeTypes.Trigger) continue;
                if (Next(task) is { } next)
                {
                    foreach (var target in def.Tasks)
                    {
                        if (target.TaskReferenceName == next) return target;
                    }
                }
                return task;
            }
        }
        return def.Tasks[0];
    }

    /// <summary>The fired trigger's output: its data from the run's input, with a schedule's due time as <c>scheduledTime</c>.</summary>
    public static JsonObject TriggerData(WorkflowRun run)
    {
        var output = run.Input["data"] is JsonObject data ? (JsonObject)data.DeepClone() : [];
        if (run.Input["_scheduledTime"] is JsonValue due && due.TryGetValue<long>(out var ms)) output["scheduledTime"] = NodeContext.Time(ms);
        return output;
    }

    private static string? Text(WorkflowTask task, string field) =>
        task.Extra is { } extra && extra.TryGetValue(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
