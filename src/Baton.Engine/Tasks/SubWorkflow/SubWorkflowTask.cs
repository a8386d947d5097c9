using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using Microsoft.Extensions.DependencyInjection;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.SubWorkflow;

/// <summary>Starts the child run of a SUB_WORKFLOW task; the executor completes the task when the child ends.</summary>
/// <param name="services">The executor is resolved when a task runs: it needs the system tasks, and this task needs it.</param>
public sealed class SubWorkflowTask(IServiceProvider services) : ISystemTask
{
    public string Type => TaskTypes.SubWorkflow;

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        var param = task.WorkflowTask?.SubWorkflowParam ?? new SubWorkflowParams();
        try
        {
            var childId = await services.GetRequiredService<WorkflowExecutor>().StartChildAsync(new ChildStart(
                ChildIdOf(task.TaskId),
                task.WorkflowInstanceId,
                task.TaskId,
                param,
                // The input as stored: references and masks, never a resolved value.
                (JsonObject)task.InputData.DeepClone(),
                task.CorrelationId,
                context.Principal), ct);
            return new TaskOutcome(TaskStatus.InProgress, new JsonObject { ["subWorkflowId"] = childId }, SubWorkflowId: childId);
        }
        catch (Exception e) when (e is InvalidRequestException or NotFoundException or ForbiddenException)
        {
            return new TaskOutcome(TaskStatus.FailedWithTerminalError, [], $"SUB_WORKFLOW task '{task.ReferenceTaskName}': {e.Message}");
        }
    }

    /// <summary>The child's id follows from the task's: a task started again after a crash finds the child it started.</summary>
    public static string ChildIdOf(string taskId) => WorkflowExecutor.DerivedId("sub-workflow:" + taskId);
}
