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

    /// <summary>
    /// Renders an action node's config at execution with the hand-off's context (<see cref="Execution.SecretHandOff"/>
    /// put the secrets its templates name there) and teaches the redactor every string computed from a secret, for the
    /// run's life. A template that fails gives the node's failure instead, naming the field and the expression.
    /// </summary>
    public static (JsonObject Config, JsonObject Scope, TaskOutcome? Failure) Render(SystemTaskContext context, Secrets.Service.SecretVault vault)
    {
        var task = context.Task;
        var node = task.WorkflowTask!;
        var scope = context.Input[Execution.SecretHandOff.NodeContextKey] as JsonObject ?? [];
        var derived = new List<string>();
        try
        {
            var config = NodeTemplates.RenderConfig(node, scope, derived);
            if (derived.Count > 0) vault.AddDerivedValues(task.WorkflowInstanceId, derived);
            return (config, scope, null);
        }
        catch (NodeTemplateException e)
        {
            return ([], scope, Failed(node, $"{Kind(node)} node '{task.ReferenceTaskName}': {e.Message}"));
        }
    }

    /// <summary>The node's type as its author wrote it (WEBHOOK, KAFKA...), for reasons.</summary>
    public static string Kind(WorkflowTask node) => NodeWiring.ConfigText(node, "type") ?? node.Type;
}
