using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using Microsoft.Extensions.DependencyInjection;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.StartWorkflow;

/// <summary>Starts the workflow a START_WORKFLOW task names, as the run's principal.</summary>
/// <param name="services">The executor is resolved when a task runs: it needs the system tasks, and this task needs it.</param>
public sealed class StartWorkflowTask(IServiceProvider services) : ISystemTask
{
    public string Type => TaskTypes.StartWorkflow;

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        try
        {
            // The input as stored: references and masks, never a resolved value.
            var request = task.InputData["startWorkflow"] is JsonObject start ? start.Deserialize(BatonJson.Context.StartWorkflowRequest) : null;
            if (request is null || string.IsNullOrWhiteSpace(request.Name)) throw new InvalidRequestException("startWorkflow.name", "startWorkflow needs the name of a workflow");
            request.WorkflowDef = null; // a stored definition only: run data cannot write one
            var id = await services.GetRequiredService<WorkflowExecutor>().StartOnBehalfAsync(
                WorkflowExecutor.DerivedId("start-workflow:" + task.TaskId), request, context.Principal, ct);
            return TaskOutcome.Completed(new JsonObject { ["workflowId"] = id });
        }
        catch (Exception e) when (e is InvalidRequestException or NotFoundException or ForbiddenException or JsonException)
        {
            return new TaskOutcome(TaskStatus.FailedWithTerminalError, [], $"START_WORKFLOW task '{task.ReferenceTaskName}': {e.Message}");
        }
    }
}
