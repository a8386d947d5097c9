using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Core.Schedules;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;

namespace Baton.Engine.Scheduling;

/// <summary>
/// Saving, reading, pausing, resuming and deleting schedules. Whoever saves a schedule becomes its owner
/// (<see cref="WorkflowSchedule.UpdatedBy"/>, stamped here, never taken from the request): its runs act as that
/// principal. The caller's rights are checked by the API before any of these is called.
/// </summary>
public sealed partial class ScheduleService(IScheduleStore store, DefinitionCatalog definitions, ScheduleSignal signal, TimeProvider time)
{
    public const int MaxNameLength = 128;
    public const int MaxDescriptionLength = 4096;
    /// <summary>nextFewSchedules answers at most this many times.</summary>
    public const int MaxNextFew = 100;

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePattern();

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The problems of a schedule's shape, each with its path (the workflow's existence is checked by <see cref="SaveAsync"/>).</summary>
    public static void Validate(WorkflowSchedule schedule)
    {
        var problems = new List<ValidationProblem>();
        if (NameProblem(schedule.Name) is { } nameProblem) problems.Add(new ValidationProblem("$.name", nameProblem));
        CronSchedule.Parse(schedule.CronExpression, schedule.ZoneId, schedule.ScheduleStartTime, schedule.ScheduleEndTime, "$.cronExpression", "$.zoneId", problems);
        if (schedule.ScheduleStartTime < 0) problems.Add(new ValidationProblem("$.scheduleStartTime", "a start time is epoch milliseconds, 0 or more"));
        if (schedule.ScheduleEndTime < 0) problems.Add(new ValidationProblem("$.scheduleEndTime", "an end time is epoch milliseconds, 0 or more"));
        if (schedule.ScheduleStartTime > 0 && schedule.ScheduleEndTime > 0 && schedule.ScheduleEndTime < schedule.ScheduleStartTime)
            problems.Add(new ValidationProblem("$.scheduleEndTime", "the end time is before the start time"));
        if (schedule.Description?.Length > MaxDescriptionLength)
            problems.Add(new ValidationProblem("$.description", $"a description is at most {MaxDescriptionLength} characters"));
        if (schedule.StartWorkflowRequest is not { } start)
        {
            problems.Add(new ValidationProblem("$.startWorkflowRequest", "the workflow to start is required: {\"name\": ..., \"version\": ..., \"input\": {...}}"));
        }
        else
        {
            if (string.IsNullOrWhiteSpace(start.Name)) problems.Add(new ValidationProblem("$.startWorkflowRequest.name", "the name of the workflow to start is required"));
            if (start.Version is < 1) problems.Add(new ValidationProblem("$.startWorkflowRequest.version", "a version is 1 or more (leave it out for the latest)"));
            if (start.Priority is < 0 or > 99) problems.Add(new ValidationProblem("$.startWorkflowRequest.priority", "a priority is between 0 and 99"));
            if (start.WorkflowDef is not null)
                problems.Add(new ValidationProblem("$.startWorkflowRequest.workflowDef", "a schedule starts a registered workflow by name; register the definition and leave workflowDef out"));
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
    }

    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "a schedule name is required"
        : name.Length > MaxNameLength ? $"a schedule name is at most {MaxNameLength} characters"
        : !NamePattern().IsMatch(name) ? "a schedule name has letters, digits, '_', '-' and '.' only"
        : null;

    /// <summary>
    /// Stores <paramref name="schedule"/> (already validated, its caller's rights checked) as <paramref name="owner"/>'s:
    /// the workflow must exist, the start request must hold no secret value, and the times and owner are stamped here.
    /// </summary>
    public async Task<WorkflowSchedule> SaveAsync(WorkflowSchedule schedule, string owner, CancellationToken ct)
    {
        Validate(schedule);
        var start = schedule.StartWorkflowRequest!;
        try
        {
            _ = await definitions.GetWorkflowDefAsync(start.Name!, start.Version, ct);
        }
        catch (NotFoundException e)
        {
            var named = start.Version is not null && await definitions.WorkflowDefExistsAsync(start.Name!, ct);
            throw new InvalidRequestException(named ? "$.startWorkflowRequest.version" : "$.startWorkflowRequest.name", e.Message);
        }
        definitions.CheckNoSecretValues(new JsonObject
        {
            ["input"] = start.Input?.DeepClone(),
            ["correlationId"] = start.CorrelationId,
            ["taskToDomain"] = start.TaskToDomain is { } domains ? new JsonObject(domains.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))) : null,
        }, "$.startWorkflowRequest");
        start.CreatedBy = null; // a run's principal is the schedule's owner, never a name in the request

        var existing = await store.GetScheduleAsync(schedule.Name!, ct);
        var now = Now;
        schedule.ZoneId = string.IsNullOrWhiteSpace(schedule.ZoneId) ? "UTC" : schedule.ZoneId;
        schedule.ScheduleStartTime = schedule.ScheduleStartTime > 0 ? schedule.ScheduleStartTime : null;
        schedule.ScheduleEndTime = schedule.ScheduleEndTime > 0 ? schedule.ScheduleEndTime : null;
        schedule.CreateTime = existing?.CreateTime ?? now;
        schedule.CreatedBy = existing?.CreatedBy ?? owner;
        schedule.UpdatedBy = owner;
        schedule.UpdatedTime = Stamp(existing, now);
        schedule.Tags = null;
        if (!schedule.Paused) schedule.PausedReason = null;
        schedule.NextRunTime = schedule.Paused ? null : Cron(schedule).Next(now);
        await store.SaveScheduleAsync(schedule, ct);
        signal.Changed();
        return schedule;
    }

    public async Task<WorkflowSchedule> GetAsync(string name, CancellationToken ct) =>
        await store.GetScheduleAsync(name, ct) ?? throw new NotFoundException($"No schedule named '{name}'");

    public Task<IReadOnlyList<WorkflowSchedule>> ListAsync(string? workflowName, CancellationToken ct) => store.ListSchedulesAsync(workflowName, ct);

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteScheduleAsync(name, ct)) throw new NotFoundException($"No schedule named '{name}'");
        signal.Changed();
    }

    /// <summary>Pauses a schedule: nothing is due until it resumes, and the times passed meanwhile are not caught up.</summary>
    public async Task PauseAsync(string name, string? reason, CancellationToken ct)
    {
        var schedule = await GetAsync(name, ct);
        schedule.Paused = true;
        schedule.PausedReason = reason;
        schedule.NextRunTime = null;
        schedule.UpdatedTime = Stamp(schedule, Now);
        await store.SaveScheduleAsync(schedule, ct);
        signal.Changed();
    }

    /// <summary>Resumes a schedule from now on: the next due time is the first one after now.</summary>
    public async Task ResumeAsync(string name, CancellationToken ct)
    {
        var schedule = await GetAsync(name, ct);
        var now = Now;
        schedule.Paused = false;
        schedule.PausedReason = null;
        schedule.NextRunTime = Cron(schedule).Next(now);
        schedule.UpdatedTime = Stamp(schedule, now);
        await store.SaveScheduleAsync(schedule, ct);
        signal.Changed();
    }

    /// <summary>The next due times of an expression after now (and after <paramref name="start"/>), up to <paramref name="end"/>.</summary>
    public List<long> NextFew(string? cronExpression, string? zoneId, long? start, long? end, int? limit)
    {
        var problems = new List<ValidationProblem>();
        var cron = CronSchedule.Parse(cronExpression, zoneId, start, null, "cronExpression", "zoneId", problems);
        if (limit is < 1 or > MaxNextFew) problems.Add(new ValidationProblem("limit", $"limit is between 1 and {MaxNextFew}"));
        if (start < 0) problems.Add(new ValidationProblem("scheduleStartTime", "a start time is epoch milliseconds, 0 or more"));
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        var times = cron!.NextFew(Now, limit ?? 3);
        // An end of 0 is a bound like any other (Orkes answers nothing for it), unlike a saved schedule's 0, which is none.
        return end is { } last ? [.. times.Where(t => t <= last)] : times;
    }

    public Task<ScheduleExecutionPage> SearchFiresAsync(ScheduleFireQuery query, CancellationToken ct) => store.SearchFiresAsync(query, ct);

    /// <summary>The schedule's cron in its zone and window (it was validated when saved).</summary>
    public static CronSchedule Cron(WorkflowSchedule schedule)
    {
        var problems = new List<ValidationProblem>();
        return CronSchedule.Parse(schedule.CronExpression, schedule.ZoneId, schedule.ScheduleStartTime, schedule.ScheduleEndTime, "$.cronExpression", "$.zoneId", problems)
            ?? throw new InvalidRequestException(problems);
    }

    /// <summary>A save's time, always later than the one before: the scheduler's claims are guarded by it.</summary>
    private static long Stamp(WorkflowSchedule? previous, long now) => previous?.UpdatedTime is { } before && before >= now ? before + 1 : now;
}
