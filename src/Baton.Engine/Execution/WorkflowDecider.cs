using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Expressions;
using Baton.Core.Runs;
using Baton.Engine.Environment;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using Baton.Engine.Tasks;
using Microsoft.Extensions.Logging;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Execution;

/// <summary>
/// The state machine. Given a run and the time, it moves the run as far as it can without waiting on anything
/// outside: checks timeouts, retries or fails failed tasks, schedules what follows completed tasks (as each task's
/// type says), lets the operator types move their entries on (SWITCH, JOIN, DO_WHILE...) and runs quick system tasks
/// (INLINE scripts without secrets) in place, and ends the run when nothing is left. Time is an argument: the same run
/// and time give the same outcome. It changes the run in memory and returns what it changed; the executor commits.
/// Every task it touches gets <c>UpdateTime = now</c>, which is how the executor knows what to write.
/// </summary>
public sealed class WorkflowDecider(
    DefinitionCatalog definitions,
    SystemTaskRegistry systemTasks,
    TaskTypeRegistry types,
    JavaScriptEvaluator scripts,
    EnvironmentValues environment,
    Microsoft.Extensions.Options.IOptions<EngineOptions> options,
    ILogger<WorkflowDecider> logger)
{
    private const int MaxStepsPerDecide = 10_000;

    public DecideOutcome Decide(WorkflowRun run, long now)
    {
        var before = run.Tasks.Count == 0 ? null : new HashSet<string>(run.Tasks.Select(t => t.TaskId), StringComparer.Ordinal);
        var removed = new List<string>();
        if (run.Status == WorkflowStatus.Running && !CheckWorkflowTimeout(run, now))
        {
            CheckTaskTimeouts(run, now);
            if (run.CancelRequested is { } cancel && !HasTaskInFlight(run))
            {
                // A cancel waited for the node in flight (Port's CANCELLING); it has ended, so the run ends now.
                EndWorkflow(run, WorkflowStatus.Terminated, cancel, now);
                return new DecideOutcome([], run.Tasks.Where(t => t.UpdateTime >= now).ToList(), [], run.Status);
            }
            var context = new DecisionContext(this, run, new WorkflowGraph(run.WorkflowDefinition, Loops), now, scripts, types);
            for (var step = 0; ; step++)
            {
                if (step == MaxStepsPerDecide)
                {
                    // Still moving after this many steps without waiting on anything: a loop of tasks the server runs in
                    // place that never ends. Left RUNNING, nothing would ever look at the run again.
                    EndWorkflow(run, WorkflowStatus.Failed, $"The run made {MaxStepsPerDecide} steps without waiting on anything outside: a loop that never ends?", now);
                    break;
                }
                if (run.Status != WorkflowStatus.Running) break;
                var progressed = HandleFailures(context);
                if (run.Status != WorkflowStatus.Running) break;
                progressed |= ScheduleFollowers(context);
                progressed |= AdvanceTasks(context);
                if (run.Tasks.Count > options.Value.MaxTasksPerRun)
                {
                    EndWorkflow(run, WorkflowStatus.Failed,
                        $"The run holds more than {options.Value.MaxTasksPerRun} task entries (Baton:Engine:MaxTasksPerRun); a loop that runs this long needs keepLastN", now);
                    break;
                }
                if (!progressed) break;
            }
            if (run.Status == WorkflowStatus.Running) CompleteIfDone(run, now);
            removed = context.RemovedTaskIds;
        }
        var scheduled = run.Tasks.Where(t => before is null || !before.Contains(t.TaskId)).ToList();
        var updated = run.Tasks.Where(t => before is not null && before.Contains(t.TaskId) && t.UpdateTime >= now).ToList();
        return new DecideOutcome(scheduled, updated, removed, run.Status);
    }

    /// <summary>Whether the server is executing one of the run's tasks now (a system task dispatched and not yet ended).</summary>
    public bool HasTaskInFlight(WorkflowRun run)
    {
        foreach (var task in run.Tasks)
        {
            if (task.Status == TaskStatus.Scheduled && task.WorkflowTask is { } workflowTask
                && types.TryGet(workflowTask.Type, out var type) && type.Kind == Tasks.TaskKind.System)
            {
                return true;
            }
        }
        return false;
    }

    private bool Loops(WorkflowTask task) => types.TryGet(task.Type, out var type) && type.LoopsOverNestedLists;

    /// <summary>Creates and adds the task for <paramref name="workflowTask"/>, its inputs evaluated now.</summary>
    public TaskRun Schedule(WorkflowRun run, WorkflowTask workflowTask, long now, TaskRun? retryOf = null, int iteration = 0)
    {
        if (retryOf is not null) iteration = LoopIteration(retryOf);
        var id = NewId();
        var def = TaskDefinitionOf(workflowTask);
        var scope = new WorkflowScope(run, id, environment.Document);
        var input = (types.TryGet(workflowTask.Type, out var type) ? type.InputAtSchedule(run, workflowTask, id, now) : null)
            ?? ParameterEvaluator.EvaluateObject(workflowTask.InputParameters, scope);
        // As Conductor's JoinTaskMapper, a JOIN shows what it joins on in its input (inside a loop the JOIN reads its
        // definition's references with the iteration's suffix, so they are not copied there).
        if (workflowTask.Type == TaskTypes.Join && workflowTask.JoinOn is { Count: > 0 } joinOn && iteration == 0 && input["joinOn"] is null)
        {
            input["joinOn"] = new JsonArray([.. joinOn.Select(r => (JsonNode?)JsonValue.Create(r))]);
        }
        if (def?.InputTemplate is { } template)
        {
            foreach (var (key, value) in template)
            {
                if (input[key] is null) input[key] = ParameterEvaluator.Evaluate(value, scope);
            }
        }
        var isWorker = workflowTask.Type == TaskTypes.Simple;
        var task = new TaskRun
        {
            TaskId = id,
            TaskType = isWorker ? workflowTask.Name : RunTypeOf(workflowTask.Type),
            Status = TaskStatus.Scheduled,
            ReferenceTaskName = iteration > 0 ? InIteration(workflowTask.TaskReferenceName, iteration) : workflowTask.TaskReferenceName,
            Iteration = iteration,
            TaskDefName = workflowTask.Name,
            WorkflowInstanceId = run.WorkflowId,
            WorkflowType = run.WorkflowName,
            WorkflowPriority = run.Priority,
            CorrelationId = run.CorrelationId,
            InputData = input,
            Seq = run.Tasks.Count == 0 ? 1 : run.Tasks[^1].Seq + 1,
            RetryCount = retryOf is null ? 0 : retryOf.RetryCount + 1,
            RetriedTaskId = retryOf?.TaskId,
            ScheduledTime = now,
            FirstScheduledTime = retryOf is { FirstScheduledTime: > 0 } ? retryOf.FirstScheduledTime : now,
            UpdateTime = now,
            CallbackAfterSeconds = retryOf is null ? Math.Max(0, workflowTask.StartDelay) : 0,
            ResponseTimeoutSeconds = isWorker ? (def ?? TaskDef.DefaultFor(workflowTask.Name)).ResponseTimeoutSeconds : 0,
            WorkflowTask = workflowTask,
        };
        if (TooDeep(input))
        {
            // Values put inside a template inside a variable...: more than can be stored. The task fails, the run
            // goes on as its definition says, and the request that caused it is not answered with an error.
            task.InputData = [];
            task.Status = TaskStatus.FailedWithTerminalError;
            task.ReasonForIncompletion = $"Task '{task.ReferenceTaskName}': its input, once evaluated, nests deeper than {MaxInputDepth} levels, more than can be stored";
            task.EndTime = now;
        }
        run.Tasks.Add(task);
        run.UpdateTime = now;
        return task;
    }

    /// <summary>A task's evaluated input may nest this deep: its run's document wraps it a few levels more.</summary>
    public const int MaxInputDepth = Core.Json.BatonJson.MaxStoredDepth - 16;

    /// <summary>
    /// Whether a JSON value nests deeper than <see cref="MaxInputDepth"/>. It runs for every task scheduled, so it walks
    /// without allocating, and stops as soon as it is past the limit (the recursion never goes deeper than that).
    /// </summary>
    private static bool TooDeep(JsonNode? node, int depth = 1)
    {
        if (depth > MaxInputDepth) return true;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null && TooDeep(child, depth + 1)) return true;
                }
                return false;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null && TooDeep(child, depth + 1)) return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>A task's input parameters evaluated against the run as it stands (a loop's condition reads them anew).</summary>
    public JsonObject EvaluateInput(WorkflowRun run, TaskRun task) =>
        ParameterEvaluator.EvaluateObject(task.WorkflowTask?.InputParameters, new WorkflowScope(run, task.TaskId, environment.Document));

    /// <summary>The reference name of a loop task in iteration <paramref name="iteration"/>, as Conductor names it.</summary>
    public static string InIteration(string referenceName, int iteration) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{referenceName}__{iteration}");

    /// <summary>The iteration of the loop a task runs in, or 0 outside loops (a DO_WHILE's own entry counts its iterations, unsuffixed).</summary>
    public static int LoopIteration(TaskRun task) =>
        task.Iteration > 0 && task.ReferenceTaskName.EndsWith(InIteration("", task.Iteration), StringComparison.Ordinal) ? task.Iteration : 0;

    /// <summary>The reference name as the definition writes it, without a loop's iteration suffix.</summary>
    public static string BaseReference(TaskRun task) =>
        LoopIteration(task) is var n and > 0 ? task.ReferenceTaskName[..^InIteration("", n).Length] : task.ReferenceTaskName;

    /// <summary>Ends the run: cancels what is still pending, computes the output unless one is given.</summary>
    public void EndWorkflow(WorkflowRun run, WorkflowStatus status, string? reason, long now, JsonObject? output = null)
    {
        foreach (var task in run.Tasks)
        {
            if (task.Status.IsTerminal()) continue;
            task.Status = TaskStatus.Canceled;
            task.EndTime = now;
            task.UpdateTime = now;
        }
        run.Status = status;
        run.ReasonForIncompletion = reason;
        run.EndTime = now;
        run.UpdateTime = now;
        run.Output = output ?? ComputeOutput(run);
    }

    /// <summary>The earliest time the decider must look at this run again with no outside event, if any.</summary>
    public long? NextWakeAt(WorkflowRun run, long now)
    {
        if (run.Status != WorkflowStatus.Running) return null;
        long? next = null;
        void Consider(long at) => next = next is null ? at : Math.Min(next.Value, at);

        var def = run.WorkflowDefinition;
        if (def.TimeoutSeconds > 0 && def.TimeoutPolicy != TimeoutPolicies.AlertOnly)
        {
            Consider(Math.Max(run.StartTime, run.LastRetriedTime) + (def.TimeoutSeconds * 1000) + 1);
        }
        foreach (var task in run.Tasks)
        {
            if (task.Status.IsTerminal()) continue;
            if (IsWorkerTask(task))
            {
                var taskDef = TaskDefinitionOf(task.WorkflowTask) ?? TaskDef.DefaultFor(task.TaskDefName);
                if (taskDef.TotalTimeoutSeconds > 0 && task.FirstScheduledTime > 0 && taskDef.TimeoutPolicy != TimeoutPolicies.AlertOnly)
                {
                    Consider(task.FirstScheduledTime + (taskDef.TotalTimeoutSeconds * 1000));
                }
                if (task.Status == TaskStatus.Scheduled && taskDef.PollTimeoutSeconds > 0 && taskDef.TimeoutPolicy != TimeoutPolicies.AlertOnly)
                {
                    Consider(task.VisibleAfter() + (taskDef.PollTimeoutSeconds * 1000) + 1);
                }
                if (task.Status == TaskStatus.InProgress)
                {
                    if (task.ResponseTimeoutSeconds > 0) Consider(task.UpdateTime + (task.ResponseTimeoutSeconds * 1000) + 1);
                    if (taskDef.TimeoutSeconds > 0 && taskDef.TimeoutPolicy != TimeoutPolicies.AlertOnly)
                    {
                        Consider(task.StartTime + (taskDef.TimeoutSeconds * 1000) + 1);
                    }
                }
            }
            else if (types.TryGet(task.WorkflowTask?.Type ?? task.TaskType, out var type) && type.WakeAt(task) is { } at)
            {
                Consider(at);
            }
            else if (task.Status == TaskStatus.Scheduled && task.VisibleAfter() > now)
            {
                // A system task held back by a retry delay. One that is due is dispatched after the commit; a timer
                // for it would only re-decide the run while it is in flight.
                Consider(task.VisibleAfter());
            }
        }
        return next;
    }

    public static bool IsWorkerTask(TaskRun task) => (task.WorkflowTask?.Type ?? TaskTypes.Simple) == TaskTypes.Simple;

    public static string NewId() => Guid.CreateVersion7().ToString();

    /// <summary>A task's definition: its own, else the one registered under its name (never for a node, whose name is only its identifier).</summary>
    private TaskDef? TaskDefinitionOf(WorkflowTask? workflowTask) =>
        workflowTask is null || Tasks.Nodes.NodeWiring.IsNodeTask(workflowTask) ? null : workflowTask.TaskDefinition ?? definitions.TaskDef(workflowTask.Name);

    private bool CheckWorkflowTimeout(WorkflowRun run, long now)
    {
        var def = run.WorkflowDefinition;
        if (def.TimeoutSeconds <= 0 || def.TimeoutPolicy == TimeoutPolicies.AlertOnly) return false;
        var since = Math.Max(run.StartTime, run.LastRetriedTime);
        if (now - since <= def.TimeoutSeconds * 1000) return false;
        EndWorkflow(run, WorkflowStatus.TimedOut,
            $"Workflow timed out after {(now - since) / 1000} seconds. Timeout configured as {def.TimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy ?? TimeoutPolicies.TimeOutWorkflow}", now);
        return true;
    }

    private void CheckTaskTimeouts(WorkflowRun run, long now)
    {
        foreach (var task in run.Tasks.ToList())
        {
            if (task.Status.IsTerminal() || !IsWorkerTask(task)) continue;
            var def = TaskDefinitionOf(task.WorkflowTask) ?? TaskDef.DefaultFor(task.TaskDefName);
            var policy = def.TimeoutPolicy ?? TimeoutPolicies.TimeOutWorkflow;
            if (TotalTimeoutPassed(def, task, now) is { } total)
            {
                ApplyTimeout(run, task, policy, total, now);
            }
            else if (task.Status == TaskStatus.Scheduled && def.PollTimeoutSeconds > 0 && now - task.VisibleAfter() > def.PollTimeoutSeconds * 1000)
            {
                ApplyTimeout(run, task, policy, $"Task poll timed out after {def.PollTimeoutSeconds} seconds (pollTimeoutSeconds)", now);
            }
            else if (task.Status == TaskStatus.InProgress && def.TimeoutSeconds > 0 && now - task.StartTime > def.TimeoutSeconds * 1000)
            {
                ApplyTimeout(run, task, policy, $"Task timed out after {def.TimeoutSeconds} seconds (timeoutSeconds)", now);
            }
            else if (task.Status == TaskStatus.InProgress && task.ResponseTimeoutSeconds > 0 && now - task.UpdateTime > task.ResponseTimeoutSeconds * 1000)
            {
                // A worker that went silent: the attempt is over and, retries permitting, another one is made.
                MarkTimedOut(task, $"responseTimeout: {task.ResponseTimeoutSeconds} seconds exceeded for taskId: {task.TaskId}", now);
            }
            if (run.Status != WorkflowStatus.Running) return;
        }
    }

    /// <summary>Why a task's total budget across attempts (totalTimeoutSeconds) is spent, or null while it is not.</summary>
    private static string? TotalTimeoutPassed(TaskDef def, TaskRun task, long now)
    {
        if (def.TotalTimeoutSeconds <= 0 || task.FirstScheduledTime <= 0) return null;
        var elapsed = (now - task.FirstScheduledTime) / 1000;
        return elapsed < def.TotalTimeoutSeconds ? null
            : $"exceeded total timeout of {def.TotalTimeoutSeconds} seconds (elapsed {elapsed} seconds across all attempts)";
    }

    private void ApplyTimeout(WorkflowRun run, TaskRun task, string policy, string reason, long now)
    {
        switch (policy)
        {
            case TimeoutPolicies.AlertOnly:
                logger.LogWarning("Task {TaskId} of workflow {WorkflowId} passed its timeout; policy ALERT_ONLY leaves it running", task.TaskId, run.WorkflowId);
                break;
            case TimeoutPolicies.Retry:
                MarkTimedOut(task, reason, now);
                break;
            default:
                MarkTimedOut(task, reason, now);
                task.Executed = true;
                EndWorkflow(run, WorkflowStatus.TimedOut, $"Task {task.TaskId} timed out: {reason}", now);
                break;
        }
    }

    private static void MarkTimedOut(TaskRun task, string reason, long now)
    {
        task.Status = TaskStatus.TimedOut;
        task.ReasonForIncompletion = reason;
        task.EndTime = now;
        task.UpdateTime = now;
    }

    /// <summary>Retries failed attempts that have retries left; otherwise applies optional / permissive or fails the run.</summary>
    private bool HandleFailures(DecisionContext context)
    {
        var (run, now) = (context.Run, context.Now);
        var progressed = false;
        foreach (var task in run.Tasks.ToList())
        {
            if (task.Executed || task.Retried) continue;
            // CANCELED here is a child run that was terminated (a run's own end cancels its tasks, but it is no longer running).
            if (task.Status is not (TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut or TaskStatus.Canceled)) continue;
            progressed = true;
            var workflowTask = task.WorkflowTask ?? new WorkflowTask { Name = task.TaskDefName, TaskReferenceName = task.ReferenceTaskName, Type = task.TaskType };
            var def = TaskDefinitionOf(workflowTask);
            var maxRetries = RetryPolicy.MaxRetries(workflowTask, def, workflowTask.Type);
            task.UpdateTime = now;
            task.Executed = true;
            if (!run.FailedReferenceTaskNames.Contains(task.ReferenceTaskName) && task.Status != TaskStatus.TimedOut)
            {
                run.FailedReferenceTaskNames.Add(task.ReferenceTaskName);
                run.FailedTaskNames.Add(task.TaskDefName);
            }
            if (def is not null && TotalTimeoutPassed(def, task, now) is { } spent)
            {
                // Conductor: once the budget of every attempt together is spent, no further retry is made.
                EndWorkflow(run, task.Status == TaskStatus.TimedOut ? WorkflowStatus.TimedOut : WorkflowStatus.Failed,
                    $"Task {task.TaskId}/{task.TaskDefName} {spent}. No further retries will be attempted.", now);
                return true;
            }
            if (RetryPolicy.CanRetry(task, maxRetries))
            {
                task.Retried = true;
                var retry = Schedule(run, workflowTask, now, retryOf: task);
                retry.CallbackAfterSeconds = RetryPolicy.DelaySeconds(def ?? TaskDef.DefaultFor(task.TaskDefName), task.RetryCount);
                continue;
            }
            if (workflowTask.Optional)
            {
                task.Status = TaskStatus.CompletedWithErrors;
                task.Executed = false; // goes on as a completed task
                continue;
            }
            if (workflowTask.Permissive)
            {
                // Stays FAILED; the run goes on and fails at its end, naming this attempt.
                ScheduleNext(context, task);
                continue;
            }
            // As Conductor: a canceled task (a child run terminated) terminates the run rather than failing it.
            EndWorkflow(run, RunStatusFor(task), FailureReason(task), now);
            return true;
        }
        return progressed;
    }

    /// <summary>
    /// Conductor's reason, which names the status the run ends with (FAILED for a task that FAILED_WITH_TERMINAL_ERROR,
    /// TIMED_OUT, TERMINATED for a canceled one), not the task's.
    /// </summary>
    private static string FailureReason(TaskRun task) =>
        $"Task {task.TaskId} failed with status: {RunStatusFor(task).WireName()} and reason: '{task.ReasonForIncompletion}'";

    private static WorkflowStatus RunStatusFor(TaskRun task) => task.Status switch
    {
        TaskStatus.TimedOut => WorkflowStatus.TimedOut,
        TaskStatus.Canceled => WorkflowStatus.Terminated,
        _ => WorkflowStatus.Failed,
    };

    /// <summary>For each task that finished well and was not yet followed, schedules what comes next.</summary>
    private bool ScheduleFollowers(DecisionContext context)
    {
        var progressed = false;
        if (context.Run.CancelRequested is not null) return false; // a cancelling run schedules nothing more
        foreach (var task in context.Run.Tasks.ToList())
        {
            // A SKIPPED entry stands in for a task the flow has not reached yet: it is followed when the flow gets there.
            if (task.Executed || task.Retried || !task.Status.IsSuccessful() || task.Status == TaskStatus.Skipped) continue;
            task.Executed = true;
            task.UpdateTime = context.Now;
            progressed = true;
            ScheduleNext(context, task);
        }
        return progressed;
    }

    /// <summary>Schedules what follows a task that ended (in its loop's iteration), unless it is already there.</summary>
    private void ScheduleNext(DecisionContext context, TaskRun task)
    {
        var workflowTask = context.Graph.Find(BaseReference(task)) ?? task.WorkflowTask;
        if (workflowTask is null) return;
        var followers = task.Status.IsSuccessful() && types.TryGet(workflowTask.Type, out var type)
            ? type.Followers(context, workflowTask, task)
            : context.Graph.Following(workflowTask.TaskReferenceName) is { } next ? [next] : [];
        var iteration = LoopIteration(task);
        foreach (var follower in followers)
        {
            var reference = iteration > 0 ? InIteration(follower.TaskReferenceName, iteration) : follower.TaskReferenceName;
            var existing = context.Run.LatestTask(reference);
            if (existing is null)
            {
                var entry = Schedule(context.Run, follower, context.Now, iteration: iteration);
                // A FORK_JOIN forks at once; its branches come right after it, before what follows it here (the
                // enclosing fork's JOIN), as Conductor's mappers lay a nested fork out.
                if (follower.Type == TaskTypes.ForkJoin && types.TryGet(follower.Type, out var fork) && fork.Advance(context, entry) && entry.Status.IsSuccessful())
                {
                    entry.Executed = true;
                    ScheduleNext(context, entry);
                }
            }
            else if (existing is { Status: TaskStatus.Skipped, Executed: false })
            {
                // The flow reached a skipped task: it goes on past it.
                existing.Executed = true;
                existing.UpdateTime = context.Now;
                ScheduleNext(context, existing);
            }
        }
    }

    /// <summary>Moves on the entries the server handles itself: operators as their types say, quick system tasks in place.</summary>
    private bool AdvanceTasks(DecisionContext context)
    {
        var (run, now) = (context.Run, context.Now);
        var progressed = false;
        foreach (var task in run.Tasks.ToList())
        {
            if (task.Status.IsTerminal() || run.Status != WorkflowStatus.Running || IsWorkerTask(task) || task.VisibleAfter() > now) continue;
            if (!types.TryGet(task.WorkflowTask?.Type ?? task.TaskType, out var type)) continue;
            if (type.Kind == TaskKind.Operator)
            {
                progressed |= type.Advance(context, task);
                continue;
            }
            // Tasks that wait on I/O, or need secrets resolved (an audited, committed step), run after the commit.
            if (task.Status != TaskStatus.Scheduled || !systemTasks.TryGet(task.TaskType, out var handler) || handler.RunsAsync || SecretHandOff.NeedsHandOff(run, task)) continue;
            task.StartTime = now;
            Finish(task, RunInline(handler, task), now);
            progressed = true;
        }
        return progressed;
    }

    private TaskOutcome RunInline(ISystemTask handler, TaskRun task)
    {
        try
        {
            return handler.ExecuteAsync(new SystemTaskContext(task, task.InputData, null), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a task does wrong must end that task, never the decider's pass over the run.
            logger.LogError(e, "{TaskType} task {TaskId} failed unexpectedly", task.TaskType, task.TaskId);
            return TaskOutcome.Failed($"{task.TaskType} task '{task.ReferenceTaskName}' failed inside the server; see the server log");
        }
    }

    /// <summary>Applies how a system task ended to the task; an outcome that is not final (IN_PROGRESS) leaves it started and waiting.</summary>
    public static void Finish(TaskRun task, TaskOutcome outcome, long now)
    {
        task.Status = outcome.Status;
        task.OutputData = outcome.Output;
        task.ReasonForIncompletion = outcome.Reason;
        if (outcome.SubWorkflowId is not null) task.SubWorkflowId = outcome.SubWorkflowId;
        if (outcome.Links is not null) task.Links = outcome.Links;
        if (task.StartTime == 0) task.StartTime = now;
        if (outcome.Status.IsTerminal()) task.EndTime = now;
        task.UpdateTime = now;
    }

    private void CompleteIfDone(WorkflowRun run, long now)
    {
        foreach (var task in run.Tasks)
        {
            if (!task.Status.IsTerminal() || (!task.Executed && !task.Retried && task.Status != TaskStatus.Skipped)) return;
        }
        var permissive = run.Tasks.FirstOrDefault(t => !t.Retried && t.Status is TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut);
        if (permissive is not null)
        {
            EndWorkflow(run, WorkflowStatus.Failed, FailureReason(permissive), now);
            return;
        }
        EndWorkflow(run, WorkflowStatus.Completed, null, now);
    }

    /// <summary>
    /// The taskType a run's entry shows, as Conductor's mappers set it: both forks are <c>FORK</c> (the definition's type
    /// stays on the entry's workflowTask, which is what the engine goes by).
    /// </summary>
    public static string RunTypeOf(string definitionType) =>
        definitionType is TaskTypes.ForkJoin or TaskTypes.ForkJoinDynamic ? TaskTypes.Fork : definitionType;

    private JsonObject ComputeOutput(WorkflowRun run)
    {
        // As Conductor: an empty outputParameters is no template, and the run's output is its last task's.
        if (run.WorkflowDefinition.OutputParameters is { Count: > 0 } parameters)
        {
            return ParameterEvaluator.EvaluateObject(parameters, new WorkflowScope(run, null, environment.Document));
        }
        var last = run.Tasks.LastOrDefault(t => t.Status.IsTerminal() && t.Status != TaskStatus.Canceled) ?? run.Tasks.LastOrDefault();
        return last is null ? [] : (JsonObject)last.OutputData.DeepClone();
    }
}

/// <summary>What one decide pass changed: the tasks it scheduled, the tasks it updated, the entries it removed, and the run's status after it.</summary>
public sealed record DecideOutcome(IReadOnlyList<TaskRun> Scheduled, IReadOnlyList<TaskRun> Updated, IReadOnlyList<string> Removed, WorkflowStatus Status);
