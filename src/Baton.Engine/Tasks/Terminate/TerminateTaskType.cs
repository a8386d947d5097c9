using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Terminate;

/// <summary>TERMINATE: ends the run with the status, reason and output it names.</summary>
public sealed class TerminateTaskType : TaskType
{
    private static readonly HashSet<string> Statuses = new(StringComparer.Ordinal) { "COMPLETED", "FAILED", "TERMINATED" };

    public override string Name => TaskTypes.Terminate;

    public override void Validate(TaskCheck check)
    {
        if (check.InputString("terminationStatus") is not { } status || !Statuses.Contains(status))
        {
            check.Problem(".inputParameters.terminationStatus", "terminationStatus must be COMPLETED, FAILED or TERMINATED");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var statusText = task.InputData["terminationStatus"]?.ToString() ?? "COMPLETED";
        var status = statusText switch
        {
            "FAILED" => WorkflowStatus.Failed,
            "TERMINATED" => WorkflowStatus.Terminated,
            _ => WorkflowStatus.Completed,
        };
        var given = task.InputData["workflowOutput"];
        JsonObject? output = given switch
        {
            null => null,
            JsonObject obj => (JsonObject)obj.DeepClone(),
            _ => new JsonObject { ["output"] = given.DeepClone() },
        };
        context.Finish(task, TaskOutcome.Completed(new JsonObject { ["output"] = output?.DeepClone() }));
        task.Executed = true;
        var reason = task.InputData["terminationReason"]?.ToString();
        if (string.IsNullOrEmpty(reason)) reason = $"Workflow is {status.WireName()} by TERMINATE task: {task.TaskId}";
        context.EndWorkflow(status, reason, output);
        return true;
    }
}
