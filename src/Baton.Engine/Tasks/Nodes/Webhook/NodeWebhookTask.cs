using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using Baton.Secrets.Service;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Nodes.Webhook;

/// <summary>WEBHOOK: the server calls a URL with the node's rendered config (see <see cref="NodeWebhookTask"/>).</summary>
public sealed class NodeWebhookTaskType : NodeTaskType
{
    public override string Name => NodeTypes.Webhook;

    public override TaskKind Kind => TaskKind.System;

    /// <summary>A WEBHOOK with <c>synchronized: false</c>: it completes by its callback, not by the peer's answer.</summary>
    public static bool WaitsForCallback(Core.Definitions.WorkflowTask node) =>
        NodeWiring.Config(node)["synchronized"] is JsonValue s && s.GetValueKind() == JsonValueKind.False;

    public override JsonObject? InputAtSchedule(Core.Runs.WorkflowRun run, Core.Definitions.WorkflowTask task, string taskId, long now) =>
        DisplayInput(run, task, taskId, now);
}

/// <summary>
/// Executes a WEBHOOK node with the run principal's rights: renders its config (<c>url</c>, <c>method</c>,
/// <c>headers</c>, <c>body</c>) from the definition's templates with the hand-off's context, in which the secrets its
/// templates name were resolved through the one hand-off (checked, audited, in the manifest); every string computed from
/// a secret is taught to the redactor for the run's life. The request goes through the HTTP task's transport (its
/// timeouts, per-peer limit and resends). <c>synchronized</c> (default true): the output is
/// <c>{response: {status, data, headers}}</c>; false: the node waits, IN_PROGRESS, for
/// <c>PATCH /v1/workflows/nodes/runs/{id}</c>. A status outside 2xx fails the node, as does a template that fails,
/// naming the field and the expression; <c>onFailure</c> and <c>onTimeout</c> decide what a failure does.
/// </summary>
public sealed class NodeWebhookTask(HttpTask http, SecretVault vault) : ISystemTask
{
    private const int DefaultTimeoutSeconds = 30;

    public string Type => NodeTypes.Webhook;

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        var node = task.WorkflowTask!;
        var (config, scope, failure) = NodeOutcomes.Render(context, vault);
        if (failure is not null) return failure;

        var timeoutSeconds = config["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var seconds) && seconds > 0 ? seconds : DefaultTimeoutSeconds;
        var request = new JsonObject
        {
            ["uri"] = config["url"]?.DeepClone(),
            ["method"] = config["method"]?.DeepClone() ?? "POST",
            ["headers"] = config["headers"]?.DeepClone() ?? new JsonObject(),
            ["readTimeOut"] = timeoutSeconds * 1000,
        };
        if (config["body"] is { } body) request["body"] = body.DeepClone();
        var verbose = NodeWiring.Node(node)["verbose"] is JsonValue v && v.GetValueKind() == JsonValueKind.True;
        var logs = verbose ? new List<string> { $"INFO request {request["method"]} {request["uri"]} headers {request["headers"]!.ToJsonString()} body {request["body"]?.ToJsonString() ?? "none"}" } : null;

        var sent = await http.ExecuteAsync(new SystemTaskContext(task, request, context.Principal), ct);
        var answer = sent.Output["response"] as JsonObject;
        if (verbose && answer is not null)
        {
            logs!.Add($"INFO response {answer["statusCode"]} headers {answer["headers"]?.ToJsonString()} body {answer["body"]?.ToJsonString()}");
        }
        var synchronized = !NodeWebhookTaskType.WaitsForCallback(node);
        if (sent.Status != TaskStatus.Completed)
        {
            var reason = (sent.Reason ?? "failed").Replace($"HTTP task '{task.ReferenceTaskName}'", $"WEBHOOK node '{task.ReferenceTaskName}'", StringComparison.Ordinal);
            if (sent.TimedOut && NodeWiring.ConfigText(node, "onTimeout") == "continue")
            {
                // Port: a synchronous node that timed out succeeds with {timeout: true}; an asynchronous one waits for its callback.
                return synchronized
                    ? TaskOutcome.Completed(new JsonObject { ["timeout"] = true }) with { Logs = logs }
                    : new TaskOutcome(TaskStatus.InProgress, new JsonObject { ["timeout"] = true }) { Logs = logs };
            }
            return NodeOutcomes.Failed(node, reason, Shape(answer) is { } failedOutput ? TaskOutcome.Failed(reason, failedOutput) : null) with { Logs = logs };
        }
        if (!synchronized)
        {
            // Sent: the node waits for its callback, which the receiver makes with the node run's identifier.
            return new TaskOutcome(TaskStatus.InProgress, new JsonObject { ["request"] = new JsonObject { ["status"] = answer?["statusCode"]?.DeepClone() } }) { Logs = logs };
        }
        return NodeOutcomes.Succeeded(node, scope, TaskOutcome.Completed(Shape(answer) ?? []) with { Logs = logs }, task);
    }

    /// <summary>The HTTP task's response as Port shapes a webhook's: <c>{response: {status, data, headers}}</c>.</summary>
    private static JsonObject? Shape(JsonObject? answer) => answer is null ? null : new JsonObject
    {
        ["response"] = new JsonObject
        {
            ["status"] = answer["statusCode"]?.DeepClone(),
            ["data"] = answer["body"]?.DeepClone() ?? new JsonObject(),
            ["headers"] = answer["headers"]?.DeepClone(),
        },
    };
}
