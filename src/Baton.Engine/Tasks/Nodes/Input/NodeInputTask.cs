using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using Baton.Secrets.Service;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Nodes.Input;

/// <summary>
/// Starts an INPUT node with the run principal's rights: sends its webhook notifications (rendered from the
/// definition's templates with the hand-off's context, through the HTTP task's transport), then leaves the node waiting,
/// IN_PROGRESS, for its responders.
/// </summary>
public sealed class NodeInputTask(HttpTask http, SecretVault vault) : ISystemTask
{
    public string Type => NodeTypes.Input;

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        var node = task.WorkflowTask!;
        var waiting = new JsonObject { ["selectedOutlet"] = null, ["responses"] = new JsonArray() };
        if (NodeWiring.Config(node)["notifications"] is not JsonArray { Count: > 0 }) return new TaskOutcome(TaskStatus.InProgress, waiting);
        var (config, scope, failure) = NodeOutcomes.Render(context, vault);
        if (failure is not null) return failure;
        var logs = new List<string>();
        var notifications = config["notifications"] as JsonArray ?? [];
        for (var i = 0; i < notifications.Count; i++)
        {
            if (notifications[i] is not JsonObject notification || notification["target"] is not JsonValue target
                || target.GetValueKind() != JsonValueKind.String || target.GetValue<string>() != "webhook")
            {
                continue;
            }
            var request = new JsonObject
            {
                ["uri"] = notification["url"]?.DeepClone(),
                ["method"] = notification["method"]?.DeepClone() ?? "POST",
                ["headers"] = notification["headers"]?.DeepClone() ?? new JsonObject(),
                ["body"] = notification["body"]?.DeepClone() ?? new JsonObject
                {
                    ["workflowRunIdentifier"] = task.WorkflowInstanceId,
                    ["nodeRunIdentifier"] = task.TaskId,
                    ["description"] = config["description"]?.DeepClone(),
                },
            };
            var sent = await http.ExecuteAsync(new SystemTaskContext(task, request, context.Principal), ct);
            logs.Add(sent.Status == TaskStatus.Completed
                ? $"INFO notification {i} sent"
                : $"WARN notification {i} failed: {(sent.Reason ?? "").Replace($"HTTP task '{task.ReferenceTaskName}'", "the webhook", StringComparison.Ordinal)}");
        }
        return new TaskOutcome(TaskStatus.InProgress, waiting) { Logs = logs };
    }
}
