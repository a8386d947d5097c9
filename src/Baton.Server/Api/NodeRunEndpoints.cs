using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Search;
using Baton.Engine.Tasks.Nodes;
using Baton.Engine.Tasks.Nodes.Input;
using Baton.Engine.Tasks.Nodes.Model;
using Baton.Engine.Tasks.Nodes.Trigger;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// Runs of node workflows as Port shapes them: start (<c>POST /v1/workflows/{id}/runs</c>), list and read
/// (<c>/v1/workflows/runs</c>), cancel, and the node-run calls an outside system makes (PATCH a node run that waits
/// for its callback, add and read its logs). A node run is a task of the engine's run; every call goes through the
/// same run rules as Conductor's API (<see cref="RunAccess"/>): starting needs EXECUTE on the workflow, reading needs
/// to see the run, operating (cancel, PATCH) needs to be its starter or hold EXECUTE.
/// </summary>
public static class NodeRunEndpoints
{
    public static void MapNodeRunEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/workflows").WithTags("Node workflow runs");
        var json = BatonJson.Context;

        group.MapPost("/{identifier}/runs", async (string identifier, int? waitForSeconds, HttpRequest request, WorkflowExecutor executor, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var body = request.ContentLength is 0 ? null : await JsonBody.ReadAsync(request, json.JsonObject, required: false);
            var def = await catalog.GetWorkflowDefAsync(identifier, null, ct);
            if (def is null || !NodeWiring.IsNodeWorkflow(def)) throw new NotFoundException($"No node workflow '{identifier}'");
            var problems = new List<ValidationProblem>();
            foreach (var (key, _) in body ?? [])
            {
                if (key is not ("inputs" or "properties" or "trigger")) problems.Add(new($"$.{key}", "unknown field; a run takes inputs (or properties) and, with several triggers, trigger"));
            }
            var inputs = body?["inputs"] ?? body?["properties"];
            if (inputs is not null and not JsonObject) problems.Add(new("$.inputs", "inputs must be an object"));
            var triggerName = body?["trigger"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
            var trigger = def.Tasks.FirstOrDefault(task => task.Type == NodeTypes.Trigger
                && NodeWiring.ConfigText(task, "type") == "SELF_SERVE_TRIGGER"
                && (triggerName is null || task.TaskReferenceName == triggerName));
            if (trigger is null)
            {
                problems.Add(new("$.trigger", triggerName is null
                    ? $"node workflow '{identifier}' has no SELF_SERVE_TRIGGER, so it cannot be started by hand"
                    : $"node workflow '{identifier}' has no SELF_SERVE_TRIGGER '{triggerName}'"));
            }
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            var data = SelfServeInputs.Check(trigger!, inputs as JsonObject, problems);
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            var start = new StartWorkflowRequest
            {
                Name = def.Name,
                Version = def.Version,
                Input = new JsonObject { ["trigger"] = trigger!.TaskReferenceName, ["data"] = data },
            };
            // Baton's addition: waitForSeconds answers once the run has ended (or that long has passed), as Conductor's execute does.
            var run = waitForSeconds is { } wait
                ? await executor.ExecuteAsync(start, def, request.CallerOf().Id, TimeSpan.FromSeconds(Math.Clamp(wait, 0, 300)), null, ct)
                : await executor.GetWorkflowAsync(await executor.StartAsync(start, def, request.CallerOf().Id, ct), includeTasks: true, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["run"] = NodeRunViews.Run(run) }, json.JsonObject, statusCode: StatusCodes.Status201Created);
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Execute, "identifier")).Accepts<JsonObject>("application/json").Produces<JsonObject>(StatusCodes.Status201Created)
          .WithSummary("Start a run of a node workflow at its self-service trigger: {\"inputs\": {...}}; answers {ok, run}, once it ended with waitForSeconds");

        group.MapGet("/runs", async (string? workflowIdentifier, int? limit, HttpRequest request, WorkflowExecutor executor, RunAccess runs, AccessControl access, CancellationToken ct) =>
        {
            var query = new WorkflowQuery
            {
                WorkflowName = workflowIdentifier,
                Size = Math.Clamp(limit ?? 100, 1, 1000),
                VisibleTo = await runs.VisibilityAsync(request.CallerOf(), access.Model, ct),
            };
            var found = await executor.SearchAsync(query, ct);
            var list = new JsonArray();
            foreach (var run in found.Results)
            {
                if (!NodeWiring.IsNodeWorkflow(run.WorkflowDefinition)) continue;
                list.Add(NodeRunViews.Run(await executor.GetWorkflowAsync(run.WorkflowId, includeTasks: true, ct)));
            }
            return Results.Json(new JsonObject { ["ok"] = true, ["runs"] = list }, json.JsonObject);
        }).WithMetadata(SeeSomeRuns).WithSummary("The node workflow runs the caller may see, newest first (workflowIdentifier, limit)");

        group.MapGet("/runs/{workflowId}", async (string workflowId, WorkflowExecutor executor, CancellationToken ct) =>
            Results.Json(new JsonObject { ["ok"] = true, ["run"] = NodeRunViews.Run(await NodeRunAsync(executor, workflowId, ct)) }, json.JsonObject))
            .WithMetadata(AccessRule.Run(AccessRight.Read)).WithSummary("One node workflow run with its node runs");

        group.MapPost("/runs/{workflowId}/cancel", async (string workflowId, bool? force, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await NodeRunAsync(executor, workflowId, ct);
            await executor.CancelAsync(workflowId, $"Cancelled by {request.CallerOf().Id}", force == true, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["run"] = NodeRunViews.Run(await executor.GetWorkflowAsync(workflowId, includeTasks: true, ct)) }, json.JsonObject);
        }).WithMetadata(AccessRule.Run(AccessRight.Execute)).WithSummary("Cancel a run: CANCELLING until the node in flight ends, or at once with force=true");

        group.MapGet("/nodes/runs/{taskId}", async (string taskId, WorkflowExecutor executor, CancellationToken ct) =>
            Results.Json(new JsonObject { ["ok"] = true, ["nodeRun"] = NodeRunViews.NodeRun(await NodeTaskAsync(executor, taskId, ct)) }, json.JsonObject))
            .WithMetadata(AccessRule.TaskRun(AccessRight.Read)).WithSummary("One node run");

        group.MapPatch("/nodes/runs/{taskId}", async (string taskId, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await NodeTaskAsync(executor, taskId, ct);
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            await executor.CompleteNodeRunAsync(taskId, ReadUpdate(body), ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["nodeRun"] = NodeRunViews.NodeRun(await executor.GetTaskAsync(taskId, ct)) }, json.JsonObject);
        }).WithMetadata(AccessRule.TaskRun(AccessRight.Execute)).Accepts<JsonObject>("application/json")
          .WithSummary("Report a node run that waits for its callback: {status: COMPLETED, result: SUCCESS|FAILED, output, links, externalRunId}");

        group.MapPost("/nodes/runs/{taskId}/responses", async (string taskId, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var task = await NodeTaskAsync(executor, taskId, ct);
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            var problems = new List<ValidationProblem>();
            foreach (var (key, _) in body)
            {
                if (key is not ("outlet" or "inputs")) problems.Add(new($"$.{key}", "unknown field; a response is {outlet, inputs}"));
            }
            var outlet = body["outlet"] is JsonValue o && o.GetValueKind() == JsonValueKind.String ? o.GetValue<string>() : null;
            if (outlet is null) problems.Add(new("$.outlet", "outlet (the button pressed) is required"));
            if (body["inputs"] is { } given && given is not JsonObject) problems.Add(new("$.inputs", "inputs must be an object"));
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            await RespondAsync(request, executor, task, outlet!, body["inputs"] as JsonObject, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["nodeRun"] = NodeRunViews.NodeRun(await executor.GetTaskAsync(taskId, ct)) }, json.JsonObject);
        }).WithMetadata(InputResponder).Accepts<JsonObject>("application/json")
          .WithSummary("Respond to an INPUT node: {outlet, inputs}; only its responders may (or, when it names none, whoever may operate the run)");

        group.MapPost("/nodes/runs/{taskId}/logs", async (string taskId, HttpRequest request, WorkflowExecutor executor, CancellationToken ct) =>
        {
            var task = await NodeTaskAsync(executor, taskId, ct);
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            if (body["logs"] is not JsonArray { Count: > 0 and <= 100 } logs) throw new InvalidRequestException("$.logs", "logs must be an array of 1 to 100 {level, message}");
            var lines = new List<string>();
            for (var i = 0; i < logs.Count; i++)
            {
                if (logs[i] is not JsonObject log || log["message"] is not JsonValue m || m.GetValueKind() != JsonValueKind.String)
                {
                    throw new InvalidRequestException($"$.logs[{i}].message", "each log needs a message string");
                }
                var level = log["level"] is JsonValue l && l.GetValueKind() == JsonValueKind.String ? l.GetValue<string>() : "INFO";
                if (level is not ("DEBUG" or "INFO" or "WARN" or "ERROR")) throw new InvalidRequestException($"$.logs[{i}].level", "level is one of DEBUG, INFO, WARN, ERROR");
                lines.Add($"{level} {m.GetValue<string>()}");
            }
            await executor.AddTaskLogsAsync(task, lines, ct);
            return Results.Json(new JsonObject { ["ok"] = true }, json.JsonObject);
        }).WithMetadata(AccessRule.TaskRun(AccessRight.Execute)).Accepts<JsonObject>("application/json").WithSummary("Add log lines to a node run: {logs: [{level, message}]}");

        group.MapGet("/nodes/runs/{taskId}/logs", async (string taskId, WorkflowExecutor executor, CancellationToken ct) =>
        {
            await NodeTaskAsync(executor, taskId, ct);
            var logs = new JsonArray();
            foreach (var log in await executor.GetTaskLogsAsync(taskId, ct))
            {
                var text = log.Log ?? "";
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                var level = space > 0 ? text[..space] : "INFO";
                logs.Add(new JsonObject
                {
                    ["level"] = level is "DEBUG" or "INFO" or "WARN" or "ERROR" ? level : "INFO",
                    ["message"] = level is "DEBUG" or "INFO" or "WARN" or "ERROR" ? text[(space + 1)..] : text,
                    ["createdAt"] = NodeContext.Time(log.CreatedTime),
                });
            }
            return Results.Json(new JsonObject { ["ok"] = true, ["logs"] = logs }, json.JsonObject);
        }).WithMetadata(AccessRule.TaskRun(AccessRight.Read)).WithSummary("A node run's log lines");
    }

    private static readonly AccessRule SeeSomeRuns = AccessRule.Custom("READ or EXECUTE on some WORKFLOW_DEF (results filtered per run)", c =>
        ValueTask.FromResult(c.Principal.ManagesAllRuns || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Read) || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Execute)
            ? null : "needs READ on the runs of a WORKFLOW_DEF"));

    /// <summary>
    /// A responder need not see the run (an approver is not a reader of the workflow's runs): a node that names its
    /// responders lets exactly them respond (checked by the handler); one that names none, whoever may operate the run.
    /// </summary>
    /// <summary>
    /// Why the caller may not respond to this INPUT node, or null: one of its responders when it names some, else
    /// whoever may operate the run (the responses route and the console's run page both ask).
    /// </summary>
    internal static string? ResponderRefusal(Principal caller, AccessModel model, WorkflowRun run, TaskRun task)
    {
        if (NodeInputTaskType.Responders(task.WorkflowTask!) is { } responders)
        {
            return responders.Users.Contains(caller.Id) || caller.Roles.Any(responders.Roles.Contains) || caller.Groups.Any(responders.Groups.Contains)
                ? null
                : $"{caller.Id} is not one of the responders of INPUT node '{task.ReferenceTaskName}'";
        }
        return RunAccess.MayOperate(caller, model, run, AccessRight.Execute);
    }

    /// <summary>Responds to an INPUT node as the caller, once <see cref="ResponderRefusal"/> lets them.</summary>
    internal static async Task RespondAsync(HttpRequest request, WorkflowExecutor executor, TaskRun task, string outlet, JsonObject? inputs, CancellationToken ct)
    {
        var caller = request.CallerOf();
        var run = await executor.GetWorkflowAsync(task.WorkflowInstanceId, includeTasks: false, ct);
        var model = request.HttpContext.RequestServices.GetRequiredService<AccessControl>().Model;
        if (ResponderRefusal(caller, model, run, task) is { } refusal) throw new AccessDeniedException($"Forbidden: {refusal}");
        await executor.RespondToInputAsync(task.TaskId, caller.Id, outlet, inputs, ct);
    }

    private static readonly AccessRule InputResponder = AccessRule.Custom("one of the INPUT node's responders, else EXECUTE on the run of task {taskId}", async c =>
    {
        var executor = c.Context.RequestServices.GetRequiredService<WorkflowExecutor>();
        try
        {
            var task = await executor.GetTaskAsync(c.Route("taskId"), c.Context.RequestAborted);
            if (task.WorkflowTask?.Type == NodeTypes.Input && NodeInputTaskType.Responders(task.WorkflowTask) is not null) return null;
        }
        catch (NotFoundException)
        {
            // As for every run route: an unknown id is a 404 only for those who may see some runs.
        }
        return await c.Runs.CheckTaskAsync(c, c.Route("taskId"), AccessRight.Execute);
    });

    private static async Task<WorkflowRun> NodeRunAsync(WorkflowExecutor executor, string workflowId, CancellationToken ct)
    {
        var run = await executor.GetWorkflowAsync(workflowId, includeTasks: true, ct);
        return NodeWiring.IsNodeWorkflow(run.WorkflowDefinition) ? run : throw new NotFoundException($"No node workflow run '{workflowId}'");
    }

    private static async Task<TaskRun> NodeTaskAsync(WorkflowExecutor executor, string taskId, CancellationToken ct)
    {
        var task = await executor.GetTaskAsync(taskId, ct);
        return task.WorkflowTask?.Type.StartsWith("NODE_", StringComparison.Ordinal) == true ? task : throw new NotFoundException($"No node run '{taskId}'");
    }

    /// <summary>A node run update as Port's agents send it: status COMPLETED with result SUCCESS or FAILED, the output, links and an external run id.</summary>
    private static NodeRunUpdate ReadUpdate(JsonObject body)
    {
        var problems = new List<ValidationProblem>();
        foreach (var (key, _) in body)
        {
            if (key is not ("status" or "result" or "output" or "externalRunId" or "links" or "summary")) problems.Add(new($"$.{key}", "unknown field"));
        }
        var status = Text(body["status"]);
        var result = Text(body["result"]);
        if (status != "COMPLETED") problems.Add(new("$.status", "status must be COMPLETED (a node run waiting for its callback is already IN_PROGRESS)"));
        if (result is not ("SUCCESS" or "FAILED")) problems.Add(new("$.result", "result must be SUCCESS or FAILED"));
        if (body["output"] is { } output && output is not JsonObject) problems.Add(new("$.output", "output must be an object"));
        var externalRunId = Text(body["externalRunId"]);
        if (body["externalRunId"] is { } given && (externalRunId is null || externalRunId.Length > 256)) problems.Add(new("$.externalRunId", "externalRunId is a string of at most 256 characters"));
        List<string>? links = null;
        if (body["links"] is { } linkList)
        {
            if (linkList is not JsonArray { Count: <= NodeWorkflows.MaxLinks } array) problems.Add(new("$.links", $"links is an array of at most {NodeWorkflows.MaxLinks} URLs"));
            else
            {
                links = [];
                for (var i = 0; i < array.Count; i++)
                {
                    if (NodeOutcomes.IsLink(Text(array[i])) is { } link) links.Add(link);
                    else problems.Add(new($"$.links[{i}]", "a link is an absolute http or https URL of at most 2048 characters"));
                }
            }
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        return new NodeRunUpdate(result == "SUCCESS", (JsonObject?)body["output"]?.DeepClone(), Text(body["summary"]), links, externalRunId);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
