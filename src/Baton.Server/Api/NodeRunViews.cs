using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.Tasks.Nodes;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Server.Api;

/// <summary>
/// A node workflow run as Port shows it, built from the run as stored (so inputs keep their templates and
/// references, outputs are redacted): <c>status</c> IN_PROGRESS, CANCELLING or COMPLETED with a <c>result</c>
/// SUCCESS, FAILED or CANCELLED; <c>variables.outputs[node]</c>; the node runs; the exact workflow version that ran.
/// </summary>
public static class NodeRunViews
{
    public static JsonObject Run(WorkflowRun run)
    {
        var outputs = new JsonObject();
        var nodeRuns = new JsonArray();
        if (NodeWiring.TriggerOf(run) is { } trigger && run.LatestTask(trigger) is null)
        {
            // The fired trigger is no task of the run: its node run is the run's start, its output the run's input data.
            var data = NodeWiring.TriggerData(run);
            outputs[trigger] = data.DeepClone();
            nodeRuns.Add(new JsonObject
            {
                ["identifier"] = $"{run.WorkflowId}:{trigger}",
                ["workflowRunIdentifier"] = run.WorkflowId,
                ["node"] = new JsonObject { ["identifier"] = trigger, ["type"] = run.WorkflowDefinition.Tasks.FirstOrDefault(t => t.TaskReferenceName == trigger) is { } node ? NodeWiring.ConfigText(node, "type") : null },
                ["status"] = "COMPLETED",
                ["result"] = "SUCCESS",
                ["reason"] = null,
                ["input"] = new JsonObject(),
                ["output"] = data,
                ["createdAt"] = NodeContext.Time(run.CreateTime),
                ["updatedAt"] = NodeContext.Time(run.CreateTime),
                ["completedAt"] = NodeContext.Time(run.CreateTime),
            });
        }
        foreach (var task in run.Tasks)
        {
            if (task.WorkflowTask is null) continue;
            nodeRuns.Add(NodeRun(task));
            if (task.Status.IsSuccessful() && task.Status != TaskStatus.Skipped) outputs[task.ReferenceTaskName] = task.OutputData.DeepClone();
        }
        var (status, result) = run.Status switch
        {
            WorkflowStatus.Running or WorkflowStatus.Paused => (run.CancelRequested is null ? "IN_PROGRESS" : "CANCELLING", (string?)null),
            WorkflowStatus.Completed => ("COMPLETED", "SUCCESS"),
            WorkflowStatus.Terminated => ("COMPLETED", "CANCELLED"),
            _ => ("COMPLETED", "FAILED"),
        };
        return new JsonObject
        {
            ["identifier"] = run.WorkflowId,
            ["status"] = status,
            ["result"] = result,
            ["reason"] = run.ReasonForIncompletion,
            ["workflow"] = new JsonObject { ["identifier"] = run.WorkflowName, ["version"] = run.WorkflowVersion },
            ["trigger"] = new JsonObject { ["identifier"] = NodeWiring.TriggerOf(run), ["by"] = run.CreatedBy },
            ["variables"] = new JsonObject { ["outputs"] = outputs },
            ["nodeRuns"] = nodeRuns,
            ["createdBy"] = run.CreatedBy,
            ["createdAt"] = NodeContext.Time(run.CreateTime),
            ["updatedAt"] = NodeContext.Time(run.UpdateTime),
            ["completedAt"] = run.EndTime > 0 ? NodeContext.Time(run.EndTime) : null,
        };
    }

    public static JsonObject NodeRun(TaskRun task)
    {
        var (status, result) = task.Status switch
        {
            TaskStatus.Scheduled or TaskStatus.InProgress => ("IN_PROGRESS", (string?)null),
            TaskStatus.Completed or TaskStatus.Skipped => ("COMPLETED", "SUCCESS"),
            TaskStatus.Canceled => ("COMPLETED", "CANCELLED"),
            _ => ("COMPLETED", "FAILED"), // FAILED, TIMED_OUT, and COMPLETED_WITH_ERRORS (a failure onFailure: continue let pass)
        };
        return new JsonObject
        {
            ["identifier"] = task.TaskId,
            ["workflowRunIdentifier"] = task.WorkflowInstanceId,
            ["node"] = new JsonObject { ["identifier"] = task.ReferenceTaskName, ["type"] = NodeWiring.ConfigText(task.WorkflowTask!, "type") },
            ["status"] = status,
            ["result"] = result,
            ["reason"] = task.ReasonForIncompletion,
            ["input"] = task.InputData.DeepClone(),
            ["output"] = task.OutputData.DeepClone(),
            ["links"] = new JsonArray([.. (task.Links ?? []).Select(l => (JsonNode)l)]),
            ["externalRunId"] = task.ExternalRunId,
            ["createdAt"] = NodeContext.Time(task.ScheduledTime),
            ["updatedAt"] = NodeContext.Time(task.UpdateTime),
            ["completedAt"] = task.EndTime > 0 ? NodeContext.Time(task.EndTime) : null,
        };
    }
}
