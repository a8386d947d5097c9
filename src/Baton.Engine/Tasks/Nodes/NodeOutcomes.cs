using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>What every action node does with how its execution ended: <c>onFailure</c>, <c>onTimeout</c> and <c>variables</c>.</summary>
public static class NodeOutcomes
{
    /// <summary>A node failed: with <c>onFailure: "continue"</c> the run goes on past it (COMPLETED_WITH_ERRORS, output <c>error.message</c>).</summary>
    public static TaskOutcome Failed(WorkflowTask node, string reason, TaskOutcome? from = null)
    {
        var failed = (from ?? TaskOutcome.Failed(reason)) with { Status = TaskStatus.Failed, Reason = reason };
        if (NodeWiring.ConfigText(node, "onFailure") != "continue") return failed;
        return failed with { Status = TaskStatus.CompletedWithErrors, Output = new JsonObject { ["error"] = new JsonObject { ["message"] = reason } } };
    }

    /// <summary>
    /// A node succeeded: its <c>variables</c>, when it declares any, are rendered with <c>.result</c> (the raw output)
    /// beside the run's contexts and replace its output. They never see secrets (the node validator refuses
    /// <c>.secrets</c> there, and <paramref name="context"/>, the execution's own, loses them first).
    /// </summary>
    public static TaskOutcome Succeeded(WorkflowTask node, JsonObject context, TaskOutcome outcome, TaskRun task)
    {
        if (NodeWiring.Node(node)["variables"] is not JsonObject { Count: > 0 } variables) return outcome;
        // The context is this execution's own copy: it loses its secrets and gains .result, instead of being copied again.
        var scope = context;
        scope.Remove("secrets");
        scope["result"] = outcome.Output.DeepClone();
        try
        {
            return outcome with { Output = NodeTemplates.Render(variables, scope, "$.variables") as JsonObject ?? [] };
        }
        catch (NodeTemplateException e)
        {
            return Failed(node, $"{Kind(node)} node '{task.ReferenceTaskName}': {e.Message}");
        }
    }

    /// <summary>The node's type as its author wrote it (WEBHOOK, KAFKA...), for reasons.</summary>
    public static string Kind(WorkflowTask node) => NodeWiring.ConfigText(node, "type") ?? node.Type;
}
