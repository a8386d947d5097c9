using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Schedules;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Scheduling;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// /api/scheduler (Orkes): workflow schedules. Saving one needs EXECUTE on its workflow (the right to start it) and
/// CREATE (new) or UPDATE (existing) on the WORKFLOW_SCHEDULE; the saver becomes its owner, whose rights its runs act
/// with. Reading needs READ on the schedule, pausing and resuming UPDATE or EXECUTE, deleting DELETE; the creator
/// holds every right on it. Lists and execution searches show only the schedules the caller may READ.
/// </summary>
public static class SchedulerEndpoints
{
    public const int MaxQueryLength = 4096;

    private static readonly ScheduleJsonContext Json = ScheduleJsonContext.Readable;

    public static void MapSchedulerEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/scheduler").WithTags("Scheduler");

        group.MapPost("/schedules", async (HttpRequest request, ScheduleService schedules, IScheduleStore store, CancellationToken ct) =>
        {
            var schedule = await JsonBody.ReadAsync(request, Json.WorkflowSchedule);
            ScheduleService.Validate(schedule);
            await Guard.RequireAsync(request, new Target(TargetTypes.WorkflowDef, schedule.StartWorkflowRequest!.Name!), AccessRight.Execute);
            var exists = await store.GetScheduleAsync(schedule.Name!, ct) is not null;
            await Guard.RequireSaveAsync(request, Target(schedule.Name!), exists);
            var saved = await schedules.SaveAsync(schedule, request.CallerOf().Id, ct);
            if (!exists) await Guard.CreatedAsync(request, Target(saved.Name!));
            return Results.Json(View(saved), Json.WorkflowSchedule);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Execute)).Accepts<WorkflowSchedule>("application/json").Produces<WorkflowSchedule>()
            .WithSummary("Create or update a schedule; the caller becomes its owner (needs EXECUTE on the workflow, and CREATE or UPDATE on the schedule)");

        group.MapGet("/schedules", async (string? workflowName, HttpRequest request, ScheduleService schedules, AccessControl access, CancellationToken ct) =>
            Results.Json(await ReadableAsync(request, schedules, access, workflowName, ct), Json.ListWorkflowSchedule)).WithMetadata(SeeSomeSchedules).Produces<List<WorkflowSchedule>>().WithSummary("Every schedule the caller may read, optionally of one workflow");

        group.MapGet("/schedules/{name}", async (string name, ScheduleService schedules, CancellationToken ct) =>
            Results.Json(View(await schedules.GetAsync(name, ct)), Json.WorkflowSchedule))
            .WithMetadata(On(AccessRight.Read)).Produces<WorkflowSchedule>().WithSummary("One schedule, with its next due time");

        group.MapDelete("/schedules/{name}", async (string name, HttpRequest request, ScheduleService schedules, AccessControl access, CancellationToken ct) =>
        {
            await schedules.DeleteAsync(name, ct);
            await access.ResourceDeletedAsync(Target(name), request.CallerOf(), ct);
            return Results.Json(new JsonObject(), Core.Json.BatonJson.Context.JsonObject);
        }).WithMetadata(On(AccessRight.Delete)).WithSummary("Delete a schedule and its execution records");

        // Orkes maps pause and resume as GET, Conductor OSS as PUT: both are answered.
        group.MapMethods("/schedules/{name}/pause", ["GET", "PUT"], async (string name, string? reason, ScheduleService schedules, CancellationToken ct) =>
        {
            await schedules.PauseAsync(name, reason, ct);
            return Results.Json(new JsonObject(), Core.Json.BatonJson.Context.JsonObject);
        }).WithMetadata(On(PauseRights)).WithSummary("Pause a schedule: nothing is started until it resumes, and nothing missed meanwhile is caught up");

        group.MapMethods("/schedules/{name}/resume", ["GET", "PUT"], async (string name, ScheduleService schedules, CancellationToken ct) =>
        {
            await schedules.ResumeAsync(name, ct);
            return Results.Json(new JsonObject(), Core.Json.BatonJson.Context.JsonObject);
        }).WithMetadata(On(PauseRights)).WithSummary("Resume a paused schedule from its next due time after now");

        group.MapGet("/nextFewSchedules", (string? cronExpression, long? scheduleStartTime, long? scheduleEndTime, int? limit, string? zoneId, ScheduleService schedules) =>
            Results.Json(schedules.NextFew(cronExpression, zoneId, scheduleStartTime, scheduleEndTime, limit), Json.ListInt64))
            .WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowSchedule, AccessRight.Read | AccessRight.Create)).Produces<List<long>>()
            .WithSummary("The next due times (epoch ms) of a cron expression after now: limit (default 3, at most 100), optional scheduleStartTime, scheduleEndTime and zoneId");

        group.MapGet("/search/executions", async (int? start, int? size, string? sort, string? freeText, string? query, HttpRequest request,
            ScheduleService schedules, AccessControl access, CancellationToken ct) =>
        {
            var search = ParseQuery(query, start, size, sort, freeText);
            return Results.Json(await SearchVisibleFiresAsync(request, schedules, access, search, ct), Json.ScheduleExecutionPage);
        }).WithMetadata(SeeSomeSchedules).Produces<ScheduleExecutionPage>()
            .WithSummary("Search the schedules' executions (newest due time first): query (scheduleName, workflowName, workflowId, state with = or IN, joined by AND), freeText, sort=scheduledTime:ASC|DESC, start, size");
    }

    /// <summary>The schedules the caller may read, optionally of one workflow (the API's list and the console's page).</summary>
    internal static async Task<List<WorkflowSchedule>> ReadableAsync(HttpRequest request, ScheduleService schedules, AccessControl access, string? workflowName, CancellationToken ct)
    {
        var caller = request.CallerOf();
        var model = access.Model;
        return [.. (await schedules.ListAsync(string.IsNullOrEmpty(workflowName) ? null : workflowName, ct)).Where(s => MayRead(model, caller, s.Name!)).Select(View)];
    }

    /// <summary>A search of executions narrowed to the schedules the caller may read (an administrator reads all).</summary>
    internal static async Task<ScheduleExecutionPage> SearchVisibleFiresAsync(HttpRequest request, ScheduleService schedules, AccessControl access, ScheduleFireQuery search, CancellationToken ct)
    {
        var caller = request.CallerOf();
        if (!caller.IsAdmin)
        {
            var model = access.Model;
            var visible = (await schedules.ListAsync(null, ct)).Select(s => s.Name!).Where(n => MayRead(model, caller, n));
            search = search with { ScheduleNames = search.ScheduleNames is { } asked ? [.. visible.Intersect(asked)] : [.. visible] };
        }
        return await schedules.SearchFiresAsync(search, ct);
    }

    /// <summary>Pauses or resumes as the caller: UPDATE or EXECUTE on the schedule, the rule of the pause and resume routes.</summary>
    internal static async Task SetPausedAsync(HttpRequest request, ScheduleService schedules, string name, bool paused, string? reason, CancellationToken ct)
    {
        await Guard.RequireAsync(request, Target(name), PauseRights);
        if (paused) await schedules.PauseAsync(name, reason, ct);
        else await schedules.ResumeAsync(name, ct);
    }

    internal const AccessRight PauseRights = AccessRight.Update | AccessRight.Execute;

    internal static readonly AccessRule SeeSomeSchedules = AccessRule.Custom("READ on some WORKFLOW_SCHEDULE (results filtered per schedule)", c =>
        ValueTask.FromResult(c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowSchedule, AccessRight.Read) ? null : "needs READ on a WORKFLOW_SCHEDULE"));

    private static AccessRule On(AccessRight rights) => AccessRule.On(TargetTypes.WorkflowSchedule, rights, "name");

    private static Target Target(string name) => new(TargetTypes.WorkflowSchedule, name);

    private static bool MayRead(AccessModel model, Principal caller, string name) =>
        (model.RightsOn(caller, Target(name), []) & AccessRight.Read) != 0;

    /// <summary>A schedule as answered: Orkes answers a tags list, which Baton keeps empty.</summary>
    private static WorkflowSchedule View(WorkflowSchedule schedule)
    {
        schedule.Tags = [];
        return schedule;
    }

    /// <summary>
    /// Conductor's query subset for executions: <c>field = value</c> or <c>field IN (a, b)</c> clauses joined by AND,
    /// on scheduleName, workflowName, workflowId and state; values may be quoted. Anything else is a 400 naming it.
    /// </summary>
    public static ScheduleFireQuery ParseQuery(string? query, int? start, int? size, string? sort, string? freeText)
    {
        var problems = new List<ValidationProblem>();
        if (start is < 0) problems.Add(new ValidationProblem("start", "start is 0 or more"));
        if (size is < 0 or > 1000) problems.Add(new ValidationProblem("size", "size is between 0 and 1000"));
        var newestFirst = true;
        if (!string.IsNullOrEmpty(sort))
        {
            var parts = sort.Split(':');
            if (parts[0] is not ("scheduledTime" or "executionTime" or "startTime") || parts.Length > 2
                || (parts.Length == 2 && !parts[1].Equals("ASC", StringComparison.OrdinalIgnoreCase) && !parts[1].Equals("DESC", StringComparison.OrdinalIgnoreCase)))
                problems.Add(new ValidationProblem("sort", $"sort is scheduledTime:ASC or scheduledTime:DESC (got '{sort}')"));
            else newestFirst = parts.Length == 1 || parts[1].Equals("DESC", StringComparison.OrdinalIgnoreCase);
        }
        if (freeText?.Length > MaxQueryLength) problems.Add(new ValidationProblem("freeText", $"freeText is at most {MaxQueryLength} characters"));
        var search = new ScheduleFireQuery { Start = start ?? 0, Size = size ?? 100, NewestFirst = newestFirst, FreeText = freeText };
        if (query?.Length > MaxQueryLength) problems.Add(new ValidationProblem("query", $"query is at most {MaxQueryLength} characters"));
        else if (!string.IsNullOrWhiteSpace(query))
        {
            foreach (var clause in System.Text.RegularExpressions.Regex.Split(query, @"\s+AND\s+", System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)))
            {
                if (Clause(clause) is not { } parsed)
                {
                    problems.Add(new ValidationProblem("query", $"'{clause.Trim()}' is not a clause Baton knows: write scheduleName, workflowName, workflowId or state, then = value or IN (a, b)"));
                    continue;
                }
                var (field, values) = parsed;
                switch (field)
                {
                    case "schedulename": search = search with { ScheduleNames = values }; break;
                    case "workflowname" when values.Count == 1: search = search with { WorkflowName = values[0] }; break;
                    case "workflowid" when values.Count == 1: search = search with { WorkflowId = values[0] }; break;
                    case "state" when values.Count == 1: search = search with { State = values[0].ToUpperInvariant() }; break;
                    default: problems.Add(new ValidationProblem("query", $"'{clause.Trim()}': only scheduleName takes IN with several values; the fields are scheduleName, workflowName, workflowId and state")); break;
                }
            }
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        return search;
    }

    private static (string Field, List<string> Values)? Clause(string clause)
    {
        var match = System.Text.RegularExpressions.Regex.Match(clause.Trim(), @"^(\w+)\s*(=|IN)\s*(.+)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        if (!match.Success) return null;
        var value = match.Groups[3].Value.Trim();
        List<string> values;
        if (match.Groups[2].Value == "=") values = [Unquote(value)];
        else if (value.StartsWith('(') && value.EndsWith(')')) values = [.. value[1..^1].Split(',').Select(v => Unquote(v.Trim())).Where(v => v.Length > 0)];
        else return null;
        return values.Count == 0 ? null : (match.Groups[1].Value.ToLowerInvariant(), values);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '\'' || value[0] == '"') && value[^1] == value[0] ? value[1..^1] : value;
}
