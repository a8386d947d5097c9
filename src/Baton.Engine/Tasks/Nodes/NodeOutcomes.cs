using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>A node run's callback (Port's <c>PATCH /v1/workflows/nodes/runs/{id}</c>): its result, output, links and external identifier.</summary>
public sealed record NodeRunUpdate(bool Success, JsonObject? Output, string? Reason, List<string>? Links, string? ExternalRunId);

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
    /// beside the run's contexts and replace its output; its <c>links</c> are rendered with the same context (see
    /// <see cref="RenderLinks"/>). Neither ever sees secrets (the node validator refuses <c>.secrets</c> there, and
    /// <paramref name="context"/>, the execution's own, loses them first).
    /// </summary>
    public static TaskOutcome Succeeded(WorkflowTask node, JsonObject context, TaskOutcome outcome, TaskRun task)
    {
        var config = NodeWiring.Node(node);
        var variables = config["variables"] as JsonObject;
        var links = config["links"] as JsonArray;
        if (variables is not { Count: > 0 } && links is not { Count: > 0 }) return outcome;
        // The context is this execution's own copy: it loses its secrets and gains .result, instead of being copied again.
        var scope = context;
        scope.Remove("secrets");
        scope["result"] = outcome.Output.DeepClone();
        if (links is { Count: > 0 })
        {
            var (rendered, dropped) = RenderLinks(links, scope);
            outcome = outcome with { Links = rendered, Logs = dropped.Count == 0 ? outcome.Logs : [.. outcome.Logs ?? [], .. dropped] };
        }
        if (variables is not { Count: > 0 }) return outcome;
        try
        {
            return outcome with { Output = NodeTemplates.Render(variables, scope, "$.variables") as JsonObject ?? [] };
        }
        catch (NodeTemplateException e)
        {
            return Failed(node, $"{Kind(node)} node '{task.ReferenceTaskName}': {e.Message}") with { Logs = outcome.Logs };
        }
    }

    /// <summary>
    /// A node's <c>links</c>: each template rendered to an absolute http(s) URL for the node run. A link is for people
    /// to follow, so one that fails to render or is no such URL is dropped, with a WARN line in the node run's log
    /// naming it, and does not fail the node.
    /// </summary>
    public static (List<string> Links, List<string> Dropped) RenderLinks(JsonArray templates, JsonObject scope)
    {
        var (links, dropped) = (new List<string>(), new List<string>());
        for (var i = 0; i < templates.Count; i++)
        {
            try
            {
                var rendered = NodeTemplates.Render(templates[i], scope, $"$.links[{i}]");
                if (IsLink(rendered is JsonValue v && v.TryGetValue<string>(out var text) ? text : null) is { } link) links.Add(link);
                else dropped.Add($"WARN link $.links[{i}] dropped: it did not render to an absolute http(s) URL");
            }
            catch (NodeTemplateException e)
            {
                dropped.Add($"WARN link $.links[{i}] dropped: {e.Message}");
            }
        }
        return (links, dropped);
    }

    /// <summary>The text when it is an absolute http(s) URL of at most 2,048 characters, else null.</summary>
    public static string? IsLink(string? text) =>
        text is { Length: > 0 and <= 2048 } && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? text : null;

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
        if (context.Input[Execution.SecretHandOff.RenderedConfigKey] is JsonObject rendered) return (rendered, scope, null);
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
