using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>
/// What a node's templates and expressions see (Port's contexts): <c>.outputs[node]</c> for every node that ran (the
/// trigger's data under the trigger's identifier), <c>.workflow</c>, <c>.workflowRun</c> (with <c>.trigger.by</c>) and
/// <c>.workflowNodeRun</c>. Never <c>.secrets</c>: only a hand-off adds the secrets a field names, and never the server's
/// environment.
/// </summary>
public static class NodeContext
{
    public static JsonObject For(WorkflowRun run, TaskRun? task) => For(run, task?.TaskId, task?.ScheduledTime ?? 0);

    /// <param name="nodeRunId">The node run the context is for (null for none: a CONDITION's expressions).</param>
    public static JsonObject For(WorkflowRun run, string? nodeRunId, long nodeRunCreated)
    {
        var outputs = new JsonObject();
        // The fired trigger has no entry: its output is the run's input data.
        if (NodeWiring.TriggerOf(run) is { } trigger) outputs[trigger] = NodeWiring.TriggerData(run);
        foreach (var entry in run.Tasks)
        {
            if (entry.WorkflowTask is null || !entry.Status.IsSuccessful() || entry.Status == TaskStatus.Skipped) continue;
            // The latest entry of a node wins (a node runs once on a run's one path; a retried node again).
            outputs[entry.ReferenceTaskName] = entry.OutputData.DeepClone();
        }
        var context = new JsonObject
        {
            ["outputs"] = outputs,
            ["workflow"] = new JsonObject
            {
                ["identifier"] = run.WorkflowName,
                ["versionIdentifier"] = run.WorkflowVersion.ToString(CultureInfo.InvariantCulture),
            },
            ["workflowRun"] = new JsonObject
            {
                ["identifier"] = run.WorkflowId,
                ["createdAt"] = Time(run.CreateTime),
                ["trigger"] = new JsonObject
                {
                    ["identifier"] = NodeWiring.TriggerOf(run),
                    ["by"] = new JsonObject { ["email"] = run.CreatedBy },
                },
            },
        };
        if (nodeRunId is not null)
        {
            context["workflowNodeRun"] = new JsonObject
            {
                ["identifier"] = nodeRunId,
                ["createdAt"] = Time(nodeRunCreated),
            };
        }
        return context;
    }

    /// <summary>A time as Port writes it: ISO 8601 in UTC with milliseconds.</summary>
    public static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
