using System.Text.Json.Nodes;
using Baton.Core.Expressions;
using Baton.Core.Runs;

namespace Baton.Engine.Execution;

/// <summary>
/// What <c>${...}</c> expressions of a run can read: <c>workflow</c> (input, variables, metadata), each task
/// reference's latest attempt (input, output, metadata), <c>CPEWF_TASK_ID</c> and, under <c>workflow.env</c>, the
/// environment values. Nothing else: never the
/// server's environment. Documents are built on first use and cached for the scope's short life.
/// </summary>
public sealed class WorkflowScope(WorkflowRun run, string? currentTaskId = null, JsonObject? environment = null) : IExpressionScope
{
    private readonly Dictionary<string, JsonNode?> _cache = new(StringComparer.Ordinal);

    public bool TryGetRoot(string name, out JsonNode? value)
    {
        if (_cache.TryGetValue(name, out value)) return true;
        if (name == "CPEWF_TASK_ID")
        {
            value = currentTaskId is null ? null : JsonValue.Create(currentTaskId);
            return true;
        }
        if (name == "workflow")
        {
            value = WorkflowDocument(run);
            if (environment is not null) ((JsonObject)value)["env"] = environment.DeepClone();
        }
        else if ((run.LatestTask(name) ?? LatestInLoop(name)) is { } task)
        {
            value = TaskDocument(task);
        }
        else
        {
            value = null;
            return false;
        }
        _cache[name] = value;
        return true;
    }

    /// <summary>A loop task named as the definition writes it (<c>ref</c>) reads its latest iteration (<c>ref__N</c>).</summary>
    private TaskRun? LatestInLoop(string name)
    {
        for (var i = run.Tasks.Count - 1; i >= 0; i--)
        {
            var task = run.Tasks[i];
            if (task.Iteration > 0 && task.ReferenceTaskName.StartsWith(name, StringComparison.Ordinal) && WorkflowDecider.BaseReference(task) == name) return task;
        }
        return null;
    }

    public static JsonObject WorkflowDocument(WorkflowRun run) => new()
    {
        ["input"] = run.Input.DeepClone(),
        ["output"] = run.Output.DeepClone(),
        ["variables"] = run.Variables.DeepClone(),
        ["status"] = run.Status.WireName(),
        ["workflowId"] = run.WorkflowId,
        ["parentWorkflowId"] = run.ParentWorkflowId,
        ["parentWorkflowTaskId"] = run.ParentWorkflowTaskId,
        ["workflowType"] = run.WorkflowName,
        ["version"] = run.WorkflowVersion,
        ["correlationId"] = run.CorrelationId,
        ["reasonForIncompletion"] = run.ReasonForIncompletion,
        ["schemaVersion"] = run.WorkflowDefinition.SchemaVersion,
        ["createTime"] = run.CreateTime,
        ["startTime"] = run.StartTime,
        ["priority"] = run.Priority,
        ["createdBy"] = run.CreatedBy,
        ["idempotencyKey"] = run.IdempotencyKey,
    };

    public static JsonObject TaskDocument(TaskRun task) => new()
    {
        ["input"] = task.InputData.DeepClone(),
        ["output"] = task.OutputData.DeepClone(),
        ["taskType"] = task.TaskType,
        ["status"] = task.Status.WireName(),
        ["referenceTaskName"] = task.ReferenceTaskName,
        ["retryCount"] = task.RetryCount,
        ["correlationId"] = task.CorrelationId,
        ["pollCount"] = task.PollCount,
        ["taskDefName"] = task.TaskDefName,
        ["scheduledTime"] = task.ScheduledTime,
        ["startTime"] = task.StartTime,
        ["endTime"] = task.EndTime,
        ["workflowInstanceId"] = task.WorkflowInstanceId,
        ["taskId"] = task.TaskId,
        ["reasonForIncompletion"] = task.ReasonForIncompletion,
        ["callbackAfterSeconds"] = task.CallbackAfterSeconds,
        ["workerId"] = task.WorkerId,
        ["iteration"] = task.Iteration,
    };
}
