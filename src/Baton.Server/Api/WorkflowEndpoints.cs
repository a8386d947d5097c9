using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Search;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>/api/workflow: start, execute, read, search and operate runs (Conductor paths and shapes).</summary>
public static class WorkflowEndpoints
{
    public static void MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/workflow").WithTags("Workflows");
        var json = BatonJson.Context;

        group.MapPost("/", async (HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var start = await JsonBody.ReadAsync(request, json.StartWorkflowRequest);
            await RequireStartAsync(request, start);
            if (start.WorkflowDef is { } inline)
            {
                // An inline definition claims its unclaimed worker types for its author, as a saved one does.
                var catalog = request.HttpContext.RequestServices.GetRequiredService<DefinitionCatalog>();
                catalog.Validate(inline, "$.workflowDef");
                await DefinitionOwnership.RequireClaimsAsync(request, catalog, inline, ct);
                await DefinitionOwnership.ClaimWorkerTypesAsync(request, catalog, [inline], ct);
            }
            return Results.Text(await executor.StartAsync(start, request.CallerOf().Id, ct), "text/plain");
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Execute)).Accepts<StartWorkflowRequest>("application/json").Produces<string>(contentType: "text/plain")
          .WithSummary("Start a workflow; answers its id as text");

        group.MapPost("/test", async (int? waitForSeconds, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            var mocks = ReadMocks(body, out var problems);
            body.Remove("taskRefToMockOutput");
            if (body.Remove("subWorkflowTestRequest")) problems.Add(new("$.subWorkflowTestRequest", "Baton runs sub-workflows for real in a test; mock the child's tasks by testing the child itself"));
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            StartWorkflowRequest start;
            try
            {
                start = BatonJson.Deserialize<StartWorkflowRequest>(body.ToJsonString()) ?? new StartWorkflowRequest();
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidRequestException(e.Path ?? "$", JsonBody.Describe(e));
            }
            await RequireStartAsync(request, start);
            if (start.WorkflowDef is { } inline)
            {
                var catalog = request.HttpContext.RequestServices.GetRequiredService<DefinitionCatalog>();
                catalog.Validate(inline, "$.workflowDef");
                await DefinitionOwnership.RequireClaimsAsync(request, catalog, inline, ct);
                await DefinitionOwnership.ClaimWorkerTypesAsync(request, catalog, [inline], ct);
            }
            var run = await executor.TestAsync(start, mocks, request.CallerOf().Id, TimeSpan.FromSeconds(Math.Clamp(waitForSeconds ?? 2, 0, 60)), ct);
            return Results.Json(run, json.WorkflowRun);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Execute)).Accepts<JsonObject>("application/json").Produces<WorkflowRun>()
          .WithSummary("Test a workflow: start it and complete its worker, WAIT and HUMAN tasks with taskRefToMockOutput ({ref: [{status, output}]}, in order); answers the run");

        group.MapPost("/{name}", async (string name, int? version, string? correlationId, int? priority, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var input = request.ContentLength is 0 ? null : await JsonBody.ReadAsync(request, json.JsonObject, required: false);
            var start = new StartWorkflowRequest { Name = name, Version = version, CorrelationId = correlationId, Priority = priority ?? 0, Input = input };
            return Results.Text(await executor.StartAsync(start, request.CallerOf().Id, ct), "text/plain");
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Execute, "name")).Accepts<JsonObject>("application/json").Produces<string>(contentType: "text/plain")
          .WithSummary("Start a workflow by name with the body as its input; answers its id as text");

        group.MapPost("/execute/{name}/{version:int}", async (string name, int version, string? requestId, string? waitUntilTaskRef, int? waitForSeconds,
            HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var start = request.ContentLength is 0 ? new StartWorkflowRequest() : await JsonBody.ReadAsync(request, json.StartWorkflowRequest);
            start.Name = name;
            start.Version = version;
            start.WorkflowDef = null;
            var wait = TimeSpan.FromSeconds(Math.Clamp(waitForSeconds ?? 10, 0, 300));
            var run = await executor.ExecuteAsync(start, request.CallerOf().Id, wait, waitUntilTaskRef, ct);
            return Results.Json(run, json.WorkflowRun);
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Execute, "name")).Accepts<StartWorkflowRequest>("application/json").Produces<WorkflowRun>()
          .WithSummary("Start a workflow and wait (waitForSeconds, default 10) until it ends; answers the run");

        group.MapGet("/search", (int? start, int? size, string? sort, string? freeText, string? query, string? name, string? status,
            string? correlationId, long? startTimeFrom, long? startTimeTo, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
            SearchAsync(BuildQuery(start, size, sort, freeText, query, name, status, correlationId, startTimeFrom, startTimeTo), request, executor, summaries: true, ct))
            .WithMetadata(SeeSomeRuns).WithSummary("Search runs: Conductor query (workflowType, status, correlationId, startTime), freeText, or name/status/correlationId/startTimeFrom/startTimeTo; paged by start and size");

        group.MapGet("/search-v2", (int? start, int? size, string? sort, string? freeText, string? query, string? name, string? status,
            string? correlationId, long? startTimeFrom, long? startTimeTo, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
            SearchAsync(BuildQuery(start, size, sort, freeText, query, name, status, correlationId, startTimeFrom, startTimeTo), request, executor, summaries: false, ct))
            .WithMetadata(SeeSomeRuns).WithSummary("Search runs, answering whole runs (without tasks)");

        group.MapGet("/running/{name}", async (string name, int? version, long? startTime, long? endTime, HttpRequest request, WorkflowExecutor executor, AccessControl access, CancellationToken ct) =>
        {
            var ids = await executor.GetRunningIdsAsync(name, version, startTime, endTime, ct);
            var visible = new List<string>();
            foreach (var id in ids)
            {
                if (await MayViewAsync(request, executor, access, id, ct)) visible.Add(id);
            }
            return Results.Json(visible, json.ListString);
        }).WithMetadata(SeeSomeRuns).WithSummary("Ids of the RUNNING runs of a definition");

        group.MapGet("/{name}/correlated/{correlationId}", async (string name, string correlationId, bool? includeClosed, bool? includeTasks, HttpRequest request, WorkflowExecutor executor, AccessControl access, CancellationToken ct) =>
        {
            var found = await executor.SearchAsync(new WorkflowQuery
            {
                WorkflowName = name,
                CorrelationId = correlationId,
                Statuses = includeClosed == true ? null : [WorkflowStatus.Running, WorkflowStatus.Paused],
                Size = 1000,
            }, ct);
            var runs = new List<WorkflowRun>();
            foreach (var run in found.Results.Where(r => RunAccess.MayView(request.CallerOf(), access.Model, r)))
            {
                runs.Add(includeTasks == true ? await executor.GetWorkflowAsync(run.WorkflowId, true, ct) : run);
            }
            return Results.Json(runs, json.ListWorkflowRun);
        }).WithMetadata(SeeSomeRuns).WithSummary("Runs of a definition with a correlation id");

        group.MapGet("/{workflowId}", async (string workflowId, bool? includeTasks, WorkflowExecutor executor, CancellationToken ct) =>
            Results.Json(await executor.GetWorkflowAsync(workflowId, includeTasks ?? true, ct), json.WorkflowRun))
            .WithMetadata(AccessRule.Run(AccessRight.Read)).WithSummary("One run, with its tasks unless includeTasks=false");

        group.MapGet("/{workflowId}/status", async (string workflowId, bool? includeOutput, bool? includeVariables, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var run = await executor.GetWorkflowAsync(workflowId, includeTasks: false, ct);
            return Results.Json(new WorkflowStatusView
            {
                WorkflowId = run.WorkflowId,
                CorrelationId = run.CorrelationId,
                Status = run.Status,
                Output = includeOutput == true ? run.Output : null,
                Variables = includeVariables == true ? run.Variables : null,
            }, json.WorkflowStatusView);
        }).WithMetadata(AccessRule.Run(AccessRight.Read)).WithSummary("A run's status (output and variables on request)");

        group.MapDelete("/{workflowId}", async (string workflowId, string? reason, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.TerminateAsync(workflowId, reason, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Terminate a run");

        group.MapDelete("/{workflowId}/remove", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.RemoveAsync(workflowId, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Delete)).WithSummary("Remove a run and its tasks from the store");

        group.MapPut("/{workflowId}/pause", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.PauseAsync(workflowId, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Pause a run: nothing new is scheduled until it resumes");

        group.MapPut("/{workflowId}/resume", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.ResumeAsync(workflowId, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Resume a paused run");

        group.MapPost("/{workflowId}/retry", async (string workflowId, bool? resumeSubworkflowTasks, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.RetryAsync(workflowId, ct, resumeSubworkflowTasks ?? false);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Retry the last failed task of a finished run");

        group.MapPost("/{workflowId}/rerun", async (string workflowId, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, json.JsonObject, required: true);
            var taskId = RerunField(body, "reRunFromTaskId");
            var correlationId = RerunField(body, "correlationId");
            var rerunOf = RerunField(body, "reRunFromWorkflowId");
            if (rerunOf is not null && rerunOf != workflowId)
            {
                throw new InvalidRequestException("reRunFromWorkflowId", $"reRunFromWorkflowId '{rerunOf}' is not the workflow of the path ({workflowId})");
            }
            var id = await executor.RerunAsync(workflowId, taskId, RerunObject(body, "taskInput"), RerunObject(body, "workflowInput"), correlationId, ct);
            return Results.Text(id, "text/plain");
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).Accepts<JsonObject>("application/json")
          .WithSummary("Rerun a finished run under the same id, from a task (reRunFromTaskId, with taskInput) or from the start");

        group.MapPost("/{workflowId}/restart", async (string workflowId, bool? useLatestDefinitions, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            if (useLatestDefinitions == true)
            {
                // The run will execute code its starter may not have chosen, as the caller: who must be able to start it.
                var run = await executor.GetWorkflowAsync(workflowId, includeTasks: false, ct);
                await Guard.RequireAsync(request, new Target(TargetTypes.WorkflowDef, run.WorkflowName), AccessRight.Execute);
            }
            await executor.RestartAsync(workflowId, useLatestDefinitions ?? false, request.CallerOf().Id, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute))
          .WithSummary("Run a finished run again from the start under the same id; with useLatestDefinitions=true it then acts as the caller");

        group.MapPost("/{workflowId}/resetcallbacks", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.ResetCallbacksAsync(workflowId, ct);
            return Results.NoContent();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Make the run's worker tasks held back by callbackAfterSeconds pollable now");

        group.MapPut("/{workflowId}/skiptask/{taskReferenceName}", async (string workflowId, string taskReferenceName, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var body = request.ContentLength is 0 || !request.HasJsonContentType() ? null : await JsonBody.ReadAsync(request, json.JsonObject, required: false);
            await executor.SkipTaskAsync(workflowId, taskReferenceName, body?["taskInput"] as JsonObject, body?["taskOutput"] as JsonObject, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).Accepts<JsonObject>("application/json")
          .WithSummary("Skip a task the run has not reached yet; the body may give its taskInput and taskOutput");

        group.MapPut("/decide/{workflowId}", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await executor.DecideAsync(workflowId, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Let the decider look at a run now");
    }

    private static string? RerunField(JsonObject? body, string field) => body?[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidRequestException(field, $"{field} must be a string"),
    };

    private static JsonObject? RerunObject(JsonObject? body, string field) => body?[field] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw new InvalidRequestException(field, $"{field} must be an object"),
    };

    private static WorkflowQuery BuildQuery(int? start, int? size, string? sort, string? freeText, string? query, string? name, string? status,
        string? correlationId, long? startTimeFrom, long? startTimeTo)
    {
        var problems = new List<Core.Validation.ValidationProblem>();
        if (start is < 0) problems.Add(new("start", "start cannot be negative"));
        if (size is < 0 or > 1000) problems.Add(new("size", "size must be between 0 and 1000"));
        List<WorkflowStatus>? statuses = null;
        if (status is not null)
        {
            statuses = [];
            foreach (var part in status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (WorkflowStatusExtensions.TryParseWire(part, out var parsed)) statuses.Add(parsed);
                else problems.Add(new("status", $"'{part}' is not a workflow status"));
            }
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        var result = new WorkflowQuery
        {
            Start = start ?? 0,
            Size = size ?? 100,
            FreeText = freeText,
            WorkflowName = name,
            Statuses = statuses,
            CorrelationId = correlationId,
            StartedAfter = startTimeFrom,
            StartedBefore = startTimeTo,
            NewestFirst = sort is null || !sort.EndsWith(":ASC", StringComparison.OrdinalIgnoreCase),
        };
        return ConductorQueryParser.Apply(result, query);
    }

    /// <summary>Lists of runs let in whoever may see some runs, then show only the runs the caller may see.</summary>
    internal static readonly AccessRule SeeSomeRuns = AccessRule.Custom("READ or EXECUTE on some WORKFLOW_DEF (results filtered per run)", c =>
        ValueTask.FromResult(c.Principal.ManagesAllRuns || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Read) || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Execute)
            ? null : "needs READ on the runs of a WORKFLOW_DEF"));

    /// <summary>Starting needs EXECUTE on the definition; an inline definition also needs CREATE on WORKFLOW_DEF.</summary>
    private static async Task RequireStartAsync(HttpRequest request, StartWorkflowRequest start)
    {
        var name = start.WorkflowDef?.Name ?? start.Name;
        if (string.IsNullOrEmpty(name)) return; // the executor answers 400 naming the field
        await Guard.RequireAsync(request, new Target(TargetTypes.WorkflowDef, name), AccessRight.Execute);
        if (start.WorkflowDef is not null) await Guard.RequireAsync(request, new Target(TargetTypes.WorkflowDef, name), AccessRight.Create);
    }

    /// <summary>Conductor's <c>taskRefToMockOutput</c>: reference → the mocks its attempts take in order, each {status, output}.</summary>
    private static Dictionary<string, List<(Baton.Core.Runs.TaskStatus, JsonObject)>> ReadMocks(JsonObject body, out List<Baton.Core.Validation.ValidationProblem> problems)
    {
        problems = [];
        var mocks = new Dictionary<string, List<(Baton.Core.Runs.TaskStatus, JsonObject)>>(StringComparer.Ordinal);
        if (body["taskRefToMockOutput"] is null) return mocks;
        if (body["taskRefToMockOutput"] is not JsonObject all)
        {
            problems.Add(new("$.taskRefToMockOutput", "taskRefToMockOutput maps task reference names to lists of {status, output}"));
            return mocks;
        }
        foreach (var (reference, list) in all)
        {
            var path = $"$.taskRefToMockOutput.{reference}";
            if (list is not JsonArray items || items.Count > 1000)
            {
                problems.Add(new(path, "a list of at most 1000 mocks {status, output}"));
                continue;
            }
            var parsed = new List<(Baton.Core.Runs.TaskStatus, JsonObject)>();
            for (var i = 0; i < items.Count; i++)
            {
                var status = items[i]?["status"]?.ToString() ?? "COMPLETED";
                if (!TaskStatusExtensions.TryParseWire(status, out var parsedStatus)
                    || parsedStatus is not (Baton.Core.Runs.TaskStatus.Completed or Baton.Core.Runs.TaskStatus.Failed or Baton.Core.Runs.TaskStatus.FailedWithTerminalError))
                {
                    problems.Add(new($"{path}[{i}].status", "status is COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR"));
                    continue;
                }
                if (items[i]?["output"] is { } output && output is not JsonObject) problems.Add(new($"{path}[{i}].output", "output is an object"));
                parsed.Add((parsedStatus, items[i]?["output"] as JsonObject ?? []));
            }
            mocks[reference] = parsed;
        }
        return mocks;
    }

    private static async Task<bool> MayViewAsync(HttpRequest request, WorkflowExecutor executor, AccessControl access, string workflowId, CancellationToken ct)
    {
        try
        {
            return RunAccess.MayView(request.CallerOf(), access.Model, await executor.GetWorkflowAsync(workflowId, includeTasks: false, ct));
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    private static async Task<IResult> SearchAsync(WorkflowQuery query, HttpRequest request, WorkflowExecutor executor, bool summaries, CancellationToken ct)
    {
        var found = await SearchVisibleAsync(request, executor, query, ct);
        if (!summaries) return Results.Json(found, BatonJson.Context.SearchResultWorkflowRun);
        var page = new SearchResult<WorkflowSummary> { TotalHits = found.TotalHits };
        foreach (var run in found.Results) page.Results.Add(Summarize(run));
        return Results.Json(page, BatonJson.Context.SearchResultWorkflowSummary);
    }

    /// <summary>A search narrowed to the runs the caller may see (<see cref="RunAccess"/>): the API's search and the console's.</summary>
    public static async Task<SearchResult<WorkflowRun>> SearchVisibleAsync(HttpRequest request, WorkflowExecutor executor, WorkflowQuery query, CancellationToken ct)
    {
        var runs = request.HttpContext.RequestServices.GetRequiredService<RunAccess>();
        var access = request.HttpContext.RequestServices.GetRequiredService<AccessControl>();
        return await executor.SearchAsync(query with { VisibleTo = await runs.VisibilityAsync(request.CallerOf(), access.Model, ct) }, ct);
    }

    private static WorkflowSummary Summarize(WorkflowRun run) => new()
    {
        WorkflowType = run.WorkflowName,
        Version = run.WorkflowVersion,
        WorkflowId = run.WorkflowId,
        CorrelationId = run.CorrelationId,
        StartTime = Iso(run.StartTime),
        UpdateTime = Iso(run.UpdateTime),
        EndTime = run.EndTime > 0 ? Iso(run.EndTime) : null,
        Status = run.Status,
        Input = run.Input.ToJsonString(),
        Output = run.Output.ToJsonString(),
        ReasonForIncompletion = run.ReasonForIncompletion,
        ExecutionTime = run.EndTime > 0 ? run.EndTime - run.StartTime : 0,
        FailedReferenceTaskNames = string.Join(',', run.FailedReferenceTaskNames),
        Priority = run.Priority,
        CreatedBy = run.CreatedBy,
    };

    private static string Iso(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
