using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>/api/tasks: what workers call to poll, report and log (Conductor paths and shapes).</summary>
public static class TaskEndpoints
{
    private const int MaxPollWaitMs = 30_000;

    public static void MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tasks").WithTags("Tasks");
        var json = BatonJson.Context;

        group.MapGet("/poll/{taskType}", async (string taskType, string? workerid, string? domain, int? timeout, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var tasks = await executor.PollAsync(taskType, workerid, domain, 1, PollWait(timeout, 100), request.CallerOf().Id, ct);
            return tasks.Count == 0 ? Results.NoContent() : Results.Json(tasks[0], json.TaskRun);
        }).Produces<TaskRun>().Produces(StatusCodes.Status204NoContent).WithMetadata(new SecretValueResponse(), WorkOn)
          .WithSummary("Take one scheduled task of a type (waits up to timeout ms, default 100); 204 when none");

        group.MapGet("/poll/batch/{taskType}", async (string taskType, string? workerid, string? domain, int? count, int? timeout, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            if (count is < 1 or > 1000) throw new InvalidRequestException("count", "count must be between 1 and 1000");
            var tasks = await executor.PollAsync(taskType, workerid, domain, count ?? 1, PollWait(timeout, 100), request.CallerOf().Id, ct);
            return Results.Json(tasks, json.IReadOnlyListTaskRun);
        }).Produces<List<TaskRun>>().WithMetadata(new SecretValueResponse(), WorkOn)
          .WithSummary("Take up to count scheduled tasks of a type, waiting up to timeout ms for the first; [] when none");

        group.MapPost("/", async (HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var result = await JsonBody.ReadAsync(request, json.TaskResult);
            await RequireWorkOnTaskAsync(request, executor, result.TaskId, ct);
            return Results.Text(await executor.UpdateTaskAsync(result, Reporter(request), ct), "text/plain");
        }).WithMetadata(WorkOnSome).Accepts<TaskResult>("application/json").Produces<string>(contentType: "text/plain")
          .WithSummary("Report a task's result; answers the task id as text");

        group.MapPost("/update-v2", async (HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var result = await JsonBody.ReadAsync(request, json.TaskResult);
            await RequireWorkOnTaskAsync(request, executor, result.TaskId, ct);
            await executor.UpdateTaskAsync(result, Reporter(request), ct);
            var done = await executor.GetTaskAsync(result.TaskId!, ct);
            var next = await executor.PollAsync(done.TaskType, result.WorkerId, done.Domain, 1, TimeSpan.Zero, request.CallerOf().Id, ct);
            return next.Count == 0 ? Results.NoContent() : Results.Json(next[0], json.TaskRun);
        }).Accepts<TaskResult>("application/json").Produces<TaskRun>().Produces(StatusCodes.Status204NoContent).WithMetadata(new SecretValueResponse(), WorkOnSome)
          .WithSummary("Report a task's result and take the next task of the same type; 204 when none");

        group.MapPost("/{workflowId}/{taskRefName}/{status}", async (string workflowId, string taskRefName, string status, string? workerid,
            HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var output = request.ContentLength is 0 ? null : await JsonBody.ReadAsync(request, json.JsonObject, required: false);
            var pending = (await executor.GetWorkflowAsync(workflowId, includeTasks: true, ct)).LatestTask(taskRefName);
            if (pending is not null) await RequireReportAsync(request, executor, pending);
            return Results.Text(await executor.UpdateTaskByReferenceAsync(workflowId, taskRefName, status, output, workerid, Reporter(request), ct), "text/plain");
        }).WithMetadata(WorkOnSome).Accepts<JsonObject>("application/json").Produces<string>(contentType: "text/plain")
          .WithSummary("Report the result of a run's pending task by its reference name; the body is the output");

        group.MapPost("/{taskId}/log", async (string taskId, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var task = await executor.GetTaskAsync(taskId, ct);
            await RequireReportAsync(request, executor, task);
            await executor.AddTaskLogsAsync(task, [await ReadLogAsync(request)], ct);
            return Results.Ok();
        }).WithMetadata(WorkOnSome).Accepts<string>("application/json", "text/plain").WithSummary("Add a log line to a task");

        group.MapGet("/{taskId}/log", async (string taskId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.GetTaskAsync(taskId, ct);
            return Results.Json(await executor.GetTaskLogsAsync(taskId, ct), json.IReadOnlyListTaskExecLog);
        }).WithMetadata(AccessRule.TaskRun(AccessRight.Read)).WithSummary("A task's log lines");

        group.MapGet("/{taskId}", async (string taskId, WorkflowExecutor executor, CancellationToken ct) =>
            Results.Json(await executor.GetTaskAsync(taskId, ct), json.TaskRun))
            .WithMetadata(AccessRule.TaskRun(AccessRight.Read)).WithSummary("One task");

        group.MapGet("/queue/sizes", async (HttpRequest request, string[]? taskType, WorkflowExecutor executor) =>
        {
            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var type in taskType ?? [])
            {
                if (await MayReadQueueAsync(request, type)) sizes[type] = executor.QueueSize(type);
            }
            return Results.Json(sizes, json.DictionaryStringInt32);
        }).WithMetadata(QueueReaders).WithSummary("Tasks waiting per type (?taskType=a&taskType=b); types the caller may not read are left out");

        group.MapGet("/queue/all", async (HttpRequest request, WorkflowExecutor executor) =>
            Results.Json(await ReadableQueueSizesAsync(request, executor), json.DictionaryStringInt32))
            .WithMetadata(QueueReaders).WithSummary("Tasks waiting, for every type the caller may read");

        group.MapGet("/queue/polldata", async (string taskType, WorkflowExecutor executor, CancellationToken ct) =>
            Results.Json(await executor.GetPollDataAsync(taskType, ct), json.IReadOnlyListPollData))
            .WithMetadata(AccessRule.On(TargetTypes.TaskDef, AccessRight.Read | AccessRight.Execute, "taskType")).WithSummary("Who last polled a task type, and when");
    }

    /// <summary>Workers poll and update the task types they hold EXECUTE on (UNRESTRICTED_WORKER: every type).</summary>
    private static readonly AccessRule WorkOn = AccessRule.On(TargetTypes.TaskDef, AccessRight.Execute, "taskType");

    /// <summary>Reporting routes: workers (EXECUTE on some task type) and those who complete WAIT and HUMAN tasks (EXECUTE on some workflow).</summary>
    private static readonly AccessRule WorkOnSome = AccessRule.Custom("EXECUTE on some TASK_DEF or WORKFLOW_DEF", c =>
        ValueTask.FromResult(c.Model.MayOnSome(c.Principal, TargetTypes.TaskDef, AccessRight.Execute) || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Execute)
            ? null : "needs EXECUTE on a TASK_DEF or a WORKFLOW_DEF"));

    private static readonly AccessRule QueueReaders = AccessRule.OnSome(TargetTypes.TaskDef, AccessRight.Read | AccessRight.Execute);

    /// <summary>Tasks waiting, for every type the caller may read or work on: GET /api/tasks/queue/all and the console's home.</summary>
    public static async Task<Dictionary<string, int>> ReadableQueueSizesAsync(HttpRequest request, WorkflowExecutor executor)
    {
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (type, size) in executor.QueueSizes())
        {
            if (await MayReadQueueAsync(request, type)) sizes[type] = size;
        }
        return sizes;
    }

    /// <summary>A queue's size is shown to whoever may read the task type or work on it.</summary>
    private static Task<bool> MayReadQueueAsync(HttpRequest request, string taskType) =>
        Guard.HoldsAsync(request, new Target(TargetTypes.TaskDef, taskType), AccessRight.Read | AccessRight.Execute);

    /// <summary>The caller as a reporter of results: an administrator may report any worker task, others only those they hold.</summary>
    private static TaskReporter Reporter(HttpRequest request) => new(request.CallerOf().Id, request.CallerOf().IsAdmin);

    /// <summary>Reporting on a task needs EXECUTE on its type, like polling it did.</summary>
    private static async Task RequireWorkOnTaskAsync(HttpRequest request, WorkflowExecutor executor, string? taskId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(taskId)) return; // the executor answers 400 naming the field
        await RequireReportAsync(request, executor, await executor.GetTaskAsync(taskId, ct));
    }

    /// <summary>
    /// A worker task is reported by those who may work on its type; a WAIT or HUMAN task, completed from outside, by those
    /// who may operate on its run (as terminate or retry need: EXECUTE on its workflow, and the run visible to them).
    /// </summary>
    private static async Task RequireReportAsync(HttpRequest request, WorkflowExecutor executor, TaskRun task)
    {
        if (!executor.CompletesFromOutside(task))
        {
            await Guard.RequireAsync(request, new Target(TargetTypes.TaskDef, task.TaskType), AccessRight.Execute);
            return;
        }
        // The right to operate on the run itself (EXECUTE on its workflow, and seeing the run when its runs are private).
        var run = await executor.GetWorkflowAsync(task.WorkflowInstanceId, includeTasks: false, request.HttpContext.RequestAborted);
        var model = request.HttpContext.RequestServices.GetRequiredService<Baton.Access.Service.AccessControl>().Model;
        if (RunAccess.MayOperate(request.CallerOf(), model, run, AccessRight.Execute) is { } refusal) throw new Baton.Access.Service.AccessDeniedException($"Forbidden: {refusal}");
    }

    private static TimeSpan PollWait(int? timeoutMs, int fallbackMs)
    {
        if (timeoutMs is < 0) throw new InvalidRequestException("timeout", "timeout cannot be negative");
        return TimeSpan.FromMilliseconds(Math.Min(timeoutMs ?? fallbackMs, MaxPollWaitMs));
    }

    /// <summary>A log line arrives as a JSON string (what the SDKs send) or as plain text; bytes that are not UTF-8 are a 400, never replaced.</summary>
    private static async Task<string> ReadLogAsync(HttpRequest request)
    {
        var text = await JsonBody.ReadTextAsync(request, json: false);
        if (text.Length > 1 && text[0] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize(text, BatonJson.Context.String) ?? "";
            }
            catch (JsonException e)
            {
                throw new InvalidRequestException("$", JsonBody.Describe(e));
            }
        }
        return text;
    }
}
