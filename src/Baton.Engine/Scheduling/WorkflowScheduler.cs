using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Core.Schedules;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Secrets.Redaction;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Engine.Scheduling;

/// <summary>
/// Starts scheduled runs. It wakes at the earliest next due time (or when a schedule changes), and for each due
/// schedule claims each fire in the store (the fire's row and the schedule's next due time, one atomic write) before
/// it starts the run through <see cref="WorkflowExecutor.StartAsync"/> as the schedule's owner, then records the
/// outcome. A server stopped between the claim and the outcome leaves the fire POLLED; at start, recovery looks for
/// the run by the fire's id (every scheduled run carries it in its input as <c>_executionId</c>) and starts it only
/// if it is not there, so a due time is neither lost nor fired twice. A bad schedule is logged and never stops the loop.
/// </summary>
public sealed class WorkflowScheduler(
    IScheduleStore store,
    IExecutionStore runs,
    WorkflowExecutor executor,
    IWorkflowStartPolicy owners,
    ScheduleSignal signal,
    SecretRedactor redactor,
    TimeProvider time,
    ILogger<WorkflowScheduler> logger) : BackgroundService
{
    /// <summary>At most this many missed due times of one schedule are started after downtime; the rest are skipped (and logged).</summary>
    public const int MaxCatchUp = 100;

    /// <summary>The longest the loop sleeps without looking (a safety net: changes wake it at once).</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(30);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await RecoverAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Recovering the schedules' pending fires failed; they are retried at the next start");
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                sleep = await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "A scheduler pass failed; trying again shortly");
                sleep = TimeSpan.FromSeconds(1);
            }
            try
            {
                await signal.WaitAsync(sleep, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Fires what is due now; answers how long to sleep until the next due time.</summary>
    public async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var earliest = long.MaxValue;
        foreach (var schedule in await store.ListSchedulesAsync(null, ct))
        {
            try
            {
                if (await FireDueAsync(schedule, ct) is { } next) earliest = Math.Min(earliest, next);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogError(e, "Schedule {Schedule} could not be fired; the others go on", schedule.Name);
            }
        }
        if (earliest == long.MaxValue) return MaxSleep;
        var wait = TimeSpan.FromMilliseconds(Math.Max(0, earliest - Now));
        return wait < MaxSleep ? wait : MaxSleep;
    }

    /// <summary>Fires a schedule's due times, if any; answers its next due time (null when none is known).</summary>
    private async Task<long?> FireDueAsync(WorkflowSchedule schedule, CancellationToken ct)
    {
        if (schedule.Paused || schedule.NextRunTime is not { } nextRun || schedule.Name is not { } name) return null;
        var now = Now;
        if (nextRun > now) return nextRun;
        var plan = ScheduleService.Cron(schedule).Plan(nextRun, now, schedule.RunCatchupScheduleInstances, MaxCatchUp);
        if (plan.Skipped > 0)
        {
            if (schedule.RunCatchupScheduleInstances)
                logger.LogWarning("Schedule {Schedule} missed more due times than one catch-up starts ({Max}); {Skipped} (at least) are skipped", name, MaxCatchUp, plan.Skipped);
            else
                logger.LogWarning("Schedule {Schedule} missed due times and does not catch up (runCatchupScheduleInstances is false): only the latest runs, {Skipped} are skipped", name, plan.Skipped);
        }
        for (var i = 0; i < plan.Fires.Count; i++)
        {
            var due = plan.Fires[i];
            var after = i + 1 < plan.Fires.Count ? plan.Fires[i + 1] : plan.After;
            var fire = new ScheduleExecution
            {
                ExecutionId = Guid.NewGuid().ToString(),
                ScheduleName = name,
                ScheduledTime = due,
                ExecutionTime = Now,
                WorkflowName = schedule.StartWorkflowRequest?.Name,
                State = ScheduleExecutionStates.Polled,
                ZoneId = schedule.ZoneId ?? "UTC",
            };
            // Recorded (and the next due time moved on) before anything starts: after a crash the fire is not repeated.
            if (!await store.ClaimFireAsync(fire, after, schedule.UpdatedTime ?? 0, ct)) return Now; // changed meanwhile: read it again
            await StartAsync(schedule, fire, ct);
        }
        return plan.After;
    }

    /// <summary>Finishes fires recorded but not known to have started their run (the server stopped in between).</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        var pending = await store.GetPendingFiresAsync(ct);
        foreach (var fire in pending)
        {
            if (await store.GetScheduleAsync(fire.ScheduleName, ct) is not { } schedule) continue;
            var found = await runs.SearchAsync(new WorkflowQuery { WorkflowName = fire.WorkflowName, FreeText = fire.ExecutionId, Size = 1 }, ct);
            if (found.Results.FirstOrDefault() is { } run)
            {
                fire.State = ScheduleExecutionStates.Executed;
                fire.WorkflowId = run.WorkflowId;
                fire.ExecutionTime = run.CreateTime;
                await store.UpdateFireAsync(fire, ct);
                continue;
            }
            await StartAsync(schedule, fire, ct);
        }
        if (pending.Count > 0) logger.LogInformation("Recovered {Count} scheduled fires that were recorded when the server stopped", pending.Count);
    }

    /// <summary>Starts a claimed fire's run as the schedule's owner (if it still may) and records the outcome.</summary>
    private async Task StartAsync(WorkflowSchedule schedule, ScheduleExecution fire, CancellationToken ct)
    {
        var owner = schedule.UpdatedBy;
        var workflow = schedule.StartWorkflowRequest?.Name ?? "";
        fire.StartWorkflowRequest = schedule.StartWorkflowRequest;
        if (await owners.StartRefusalAsync(owner, workflow, ct) is { } refusal)
        {
            Fail(fire, $"permission denied: the schedule's owner: {refusal}; nothing was started");
        }
        else
        {
            try
            {
                var id = await executor.StartAsync(Request(schedule, fire), owner, ct);
                fire.State = ScheduleExecutionStates.Executed;
                fire.WorkflowId = id;
                fire.ExecutionTime = Now;
            }
            catch (InvalidRequestException e)
            {
                Fail(fire, "the run could not start: " + string.Join("; ", e.Problems.Select(p => $"{p.Path}: {p.Message}")));
            }
            catch (NotFoundException e)
            {
                Fail(fire, "the run could not start: " + e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Schedule {Schedule} could not start its run for {ScheduledTime}", schedule.Name, fire.ScheduledTime);
                Fail(fire, $"the run could not start ({e.GetType().Name}); see the server log");
            }
        }
        if (fire.State == ScheduleExecutionStates.Failed)
            logger.LogWarning("Schedule {Schedule} did not start its run for {ScheduledTime}: {Reason}", schedule.Name, fire.ScheduledTime, fire.Reason);
        await store.UpdateFireAsync(fire, CancellationToken.None);
    }

    private void Fail(ScheduleExecution fire, string reason)
    {
        fire.State = ScheduleExecutionStates.Failed;
        fire.Reason = redactor.Redact(reason);
        fire.ExecutionTime = Now;
    }

    /// <summary>The schedule's start request with Orkes' scheduler fields added to the input.</summary>
    private StartWorkflowRequest Request(WorkflowSchedule schedule, ScheduleExecution fire)
    {
        var start = schedule.StartWorkflowRequest!;
        var input = (JsonObject?)start.Input?.DeepClone() ?? [];
        input["_scheduledTime"] = fire.ScheduledTime;
        input["_executedTime"] = Now;
        input["_executionId"] = fire.ExecutionId;
        input["_startedByScheduler"] = schedule.Name;
        return new StartWorkflowRequest
        {
            Name = start.Name,
            Version = start.Version,
            CorrelationId = start.CorrelationId,
            Input = input,
            TaskToDomain = start.TaskToDomain,
            Priority = start.Priority,
            IdempotencyKey = start.IdempotencyKey,
            IdempotencyStrategy = start.IdempotencyStrategy,
        };
    }
}
