using System.Text.Json;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Expressions;
using Baton.Core.Runs;
using Baton.Engine.Persistence;
using Baton.Engine.Queue;
using Baton.Engine.Redaction;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Baton.Engine.SystemTasks;
using Baton.Engine.Timers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Execution;

/// <summary>
/// The engine's operations. Each one takes the workflow's lock, loads the run, changes it, lets the decider move
/// it on, commits, and only then returns; after the commit it hands scheduled work out (worker queue, system
/// task pool, timers) and wakes synchronous callers.
/// </summary>
public sealed class WorkflowExecutor(
    IExecutionStore store,
    DefinitionCatalog definitions,
    WorkflowDecider decider,
    WorkflowLocks locks,
    WorkerQueues queue,
    WorkflowTimers timers,
    CompletionWaiters waiters,
    SystemTaskRegistry systemTasks,
    Tasks.TaskTypeRegistry types,
    SecretHandOff handOff,
    SecretVault vault,
    SecretRedactor redactor,
    Events.BatonEvents events,
    Baton.Secrets.Audit.IAuditLog audit,
    Environment.EnvironmentValues environment,
    IWorkflowStartPolicy startPolicy,
    Cluster.IClusterBus cluster,
    Cluster.IClusterLocks clusterLocks,
    IOptions<EngineOptions> options,
    ILogger<WorkflowExecutor> logger) : IDisposable
{
    private readonly SemaphoreSlim _systemTaskSlots = new(options.Value.SystemTaskConcurrency);

    // Active runs this node owns, as last committed here: a change starts from this copy and saves a read and a parse
    // per step. It is only a guess when several nodes share the store: every write names the version it was decided on,
    // and a refused write (another node changed the run) drops the copy and decides again from the store.
    private readonly ConcurrentDictionary<string, WorkflowRun> _active = new(StringComparer.Ordinal);

    /// <summary>Most times one change is decided again because another node changed its run first.</summary>
    private const int MaxDecideAgain = 16;

    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Runs whose last change the store could not take (it was away): see <see cref="RetryUnrecordedAsync"/>.</summary>
    private readonly ConcurrentDictionary<string, byte> _unrecorded = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    // ---- starting -------------------------------------------------------------------------------------------

    public Task<string> StartAsync(StartWorkflowRequest request, string? principal, CancellationToken ct) =>
        StartAsync(request, null, principal, ct);

    /// <summary>
    /// A start of <paramref name="definition"/>, which the caller has just read from the catalog by the request's name
    /// and version (so the run does not read it again); null reads it.
    /// </summary>
    public async Task<string> StartAsync(StartWorkflowRequest request, WorkflowDef? definition, string? principal, CancellationToken ct)
    {
        await using var idempotent = await IdempotentStartAsync(request, ct);
        if (idempotent.ExistingId is { } existing) return existing;
        var run = await NewRunAsync(request, principal, ct, stored: definition);
        await CreateAsync(run, ct);
        return run.WorkflowId;
    }

    private sealed record IdempotentStart(string? ExistingId, IDisposable? Held, IAsyncDisposable? HeldAcrossNodes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (HeldAcrossNodes is not null) await HeldAcrossNodes.DisposeAsync();
            Held?.Dispose();
        }
    }

    /// <summary>
    /// A start with an idempotency key, under a lock on its workflow name and key until the new run is committed: with
    /// strategy FAIL (the default) a run started with the same key is a 409; with FAIL_ON_RUNNING only one still running
    /// is; with RETURN_EXISTING its id is the answer.
    /// </summary>
    private async Task<IdempotentStart> IdempotentStartAsync(StartWorkflowRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.IdempotencyKey)) return new(null, null, null);
        var strategy = request.IdempotencyStrategy ?? "FAIL";
        if (strategy is not ("FAIL" or "RETURN_EXISTING" or "FAIL_ON_RUNNING"))
        {
            throw new InvalidRequestException("$.idempotencyStrategy", $"idempotencyStrategy '{strategy}' is not one of FAIL, RETURN_EXISTING, FAIL_ON_RUNNING");
        }
        var name = request.WorkflowDef?.Name ?? request.Name ?? "";
        var lockName = $"idempotency\n{name}\n{request.IdempotencyKey}";
        var held = await locks.AcquireAsync(lockName, ct);
        IAsyncDisposable? acrossNodes = null;
        try
        {
            // Other nodes sharing the store take the same lock: a client that retries its start on another node waits here.
            acrossNodes = await clusterLocks.AcquireAsync(lockName, ct);
            var existing = await store.FindByIdempotencyKeyAsync(name, request.IdempotencyKey, ct);
            if (existing is null || (strategy == "FAIL_ON_RUNNING" && existing.Status.IsTerminal())) return new(null, held, acrossNodes);
            if (strategy == "RETURN_EXISTING")
            {
                await acrossNodes.DisposeAsync();
                held.Dispose();
                return new(existing.WorkflowId, null, null);
            }
            throw new ConflictException($"Workflow {name} already has a run with idempotency key '{request.IdempotencyKey}': {existing.WorkflowId} ({existing.Status.WireName()}); use idempotencyStrategy RETURN_EXISTING to get it back");
        }
        catch
        {
            if (acrossNodes is not null) await acrossNodes.DisposeAsync();
            held.Dispose();
            throw;
        }
    }

    /// <summary>Starts a run and waits until it ends (or <paramref name="untilTaskRef"/> completes, or the wait is over).</summary>
    public Task<WorkflowRun> ExecuteAsync(StartWorkflowRequest request, string? principal, TimeSpan wait, string? untilTaskRef, CancellationToken ct) =>
        ExecuteAsync(request, null, principal, wait, untilTaskRef, ct);

    /// <summary>As <see cref="ExecuteAsync(StartWorkflowRequest, string?, TimeSpan, string?, CancellationToken)"/>, of a definition the caller has just read (see <see cref="StartAsync(StartWorkflowRequest, WorkflowDef?, string?, CancellationToken)"/>).</summary>
    public async Task<WorkflowRun> ExecuteAsync(StartWorkflowRequest request, WorkflowDef? definition, string? principal, TimeSpan wait, string? untilTaskRef, CancellationToken ct)
    {
        WorkflowRun run;
        Task<WorkflowRun> finished;
        IDisposable registration;
        await using (var idempotent = await IdempotentStartAsync(request, ct))
        {
            if (idempotent.ExistingId is { } existing) return await GetWorkflowAsync(existing, includeTasks: true, ct);
            run = await NewRunAsync(request, principal, ct, stored: definition);
            registration = waiters.Register(run.WorkflowId, untilTaskRef, out finished);
            try
            {
                await CreateAsync(run, ct);
            }
            catch
            {
                registration.Dispose();
                throw;
            }
        }
        using (registration)
        {
            try
            {
                var committed = await finished.WaitAsync(wait, ct);
                if (committed.Status.IsTerminal()) return committed;
            }
            catch (TimeoutException)
            {
                // Answer with the run as it stands.
            }
        }
        return await GetWorkflowAsync(run.WorkflowId, includeTasks: true, ct);
    }


    // ---- child runs (SUB_WORKFLOW) ----------------------------------------------------------------------------

    /// <summary>
    /// Starts the child run of a SUB_WORKFLOW task as the parent's principal, who must hold EXECUTE on its definition;
    /// answers the id of the child, which follows from the task's, so a task started again finds the child it started.
    /// An inline definition written in the parent is its author's; one computed from the run's data is the principal's.
    /// </summary>
    public async Task<string> StartChildAsync(ChildStart start, CancellationToken ct)
    {
        if (await store.GetWorkflowAsync(start.ChildId, includeTasks: false, ct) is { } existing) return existing.WorkflowId;
        var parent = await store.GetWorkflowAsync(start.ParentWorkflowId, includeTasks: true, ct) ?? throw WorkflowNotFound(start.ParentWorkflowId);
        var depth = 1;
        for (var above = parent.ParentWorkflowId; above is not null; depth++)
        {
            if (depth >= options.Value.MaxSubWorkflowDepth)
            {
                throw new InvalidRequestException("$.subWorkflowParam", $"sub-workflows would nest deeper than {options.Value.MaxSubWorkflowDepth} levels (Baton:Engine:MaxSubWorkflowDepth)");
            }
            above = (await store.GetWorkflowAsync(above, includeTasks: false, ct))?.ParentWorkflowId;
        }
        var request = new StartWorkflowRequest
        {
            Name = ChildName(start.Param.Name, parent, start.ParentTaskId),
            Version = start.Param.Version,
            Input = start.Input,
            CorrelationId = start.CorrelationId,
            TaskToDomain = start.Param.TaskToDomain ?? parent.TaskToDomain,
            Priority = parent.Priority,
        };
        string? author = null;
        if (start.Param.WorkflowDefinition is { } inline)
        {
            var written = inline is JsonValue;
            var node = written
                ? ParameterEvaluator.Evaluate(inline, new WorkflowScope(parent, start.ParentTaskId, environment.Document))
                : inline;
            request.WorkflowDef = node is JsonObject obj
                ? System.Text.Json.JsonSerializer.Deserialize(obj, Core.Json.BatonJson.Context.WorkflowDef)
                : throw new InvalidRequestException("$.subWorkflowParam.workflowDefinition", "workflowDefinition is not a workflow definition object");
            author = written ? start.Principal : parent.WorkflowDefinition.UpdatedBy;
        }
        var name = request.WorkflowDef?.Name ?? request.Name ?? "";
        if (await startPolicy.StartRefusalAsync(start.Principal, name, ct) is { } refusal) throw new ForbiddenException(refusal);
        var run = await NewRunAsync(request, start.Principal, ct, start.ChildId, author);
        run.ParentWorkflowId = start.ParentWorkflowId;
        run.ParentWorkflowTaskId = start.ParentTaskId;
        await CreateAsync(run, ct);
        return run.WorkflowId;
    }

    /// <summary>
    /// The child's name, evaluated as Conductor's SubWorkflowTaskMapper evaluates <c>subWorkflowParam</c>
    /// (<c>"name": "${workflow.input.subwf}"</c>); who may start what it names is still the start policy's question.
    /// </summary>
    private string? ChildName(string? written, WorkflowRun parent, string parentTaskId)
    {
        if (written is null || !written.Contains("${", StringComparison.Ordinal)) return written;
        var value = ParameterEvaluator.Evaluate(JsonValue.Create(written), new WorkflowScope(parent, parentTaskId, environment.Document));
        return value is JsonValue v && v.TryGetValue<string>(out var name) && name.Length > 0
            ? name
            : throw new InvalidRequestException("$.subWorkflowParam.name", $"subWorkflowParam.name '{written}' evaluated to no workflow name");
    }

    /// <summary>Where a failed run's output names the run of its failure workflow (or why it did not start), as in Conductor.</summary>
    public const string FailureWorkflowOutput = "conductor.failure_workflow";

    /// <summary>
    /// Starts a failed (or timed out) run's <c>failureWorkflow</c>, as its principal, before the failure is committed; its
    /// id follows from the run's, so a crash before that commit cannot start it twice. Answers its id, or why it did not start.
    /// </summary>
    private async Task<string?> StartFailureWorkflowAsync(WorkflowRun run, string failureWorkflow)
    {
        var name = FailureWorkflowName(run, failureWorkflow);
        if (name is null) return null;
        var id = DerivedId("failure-workflow:" + run.WorkflowId);
        try
        {
            var input = (JsonObject)run.Input.DeepClone();
            input["workflowId"] = run.WorkflowId;
            input["reason"] = run.ReasonForIncompletion;
            input["failureStatus"] = run.Status.WireName();
            // The task that ended the run, as Conductor's failedTaskId: the failed one, else the TERMINATE that ended it.
            if ((run.Tasks.LastOrDefault(t => t.Status is TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut)
                ?? run.Tasks.LastOrDefault(t => t.TaskType == Core.Definitions.TaskTypes.Terminate && t.Status == TaskStatus.Completed)) is { } failed)
            {
                input["failureTaskId"] = failed.TaskId;
            }
            input["failedWorkflow"] = JsonSerializer.SerializeToNode(run, Core.Json.BatonJson.Context.WorkflowRun);
            return await StartOnBehalfAsync(id, new StartWorkflowRequest { Name = name, Input = input, CorrelationId = run.CorrelationId, TaskToDomain = run.TaskToDomain }, run.CreatedBy, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidRequestException or NotFoundException or ForbiddenException)
        {
            return $"Error workflow {name} failed to start.  reason: {e.Message}";
        }
    }

    /// <summary>
    /// The failure workflow's name as Conductor reads it: a value starting with <c>$</c> (<c>$workflow.input.name</c>, or
    /// <c>${workflow.input.name}</c>) names an input of the failed run, and when that input is absent or blank there is
    /// no failure workflow (null), as in Conductor.
    /// </summary>
    public static string? FailureWorkflowName(WorkflowRun run, string failureWorkflow)
    {
        if (!failureWorkflow.StartsWith('$')) return failureWorkflow;
        var parts = failureWorkflow.Split('.');
        var value = parts.Length > 2 ? run.Input[parts[2].TrimEnd('}')] : null;
        return value is JsonValue v && v.TryGetValue<string>(out var name) && !string.IsNullOrWhiteSpace(name) ? name : null;
    }

    /// <summary>
    /// Starts a workflow from inside a run (START_WORKFLOW, a failure workflow) as <paramref name="principal"/>, who must hold
    /// EXECUTE on it; with an id that follows from what started it, so doing it again finds the run already started.
    /// </summary>
    public async Task<string> StartOnBehalfAsync(string id, StartWorkflowRequest request, string? principal, CancellationToken ct)
    {
        if (await store.GetWorkflowAsync(id, includeTasks: false, ct) is not null) return id;
        var name = request.WorkflowDef?.Name ?? request.Name ?? "";
        if (await startPolicy.StartRefusalAsync(principal, name, ct) is { } refusal) throw new ForbiddenException(refusal);
        var run = await NewRunAsync(request, principal, ct, id);
        await CreateAsync(run, ct);
        return id;
    }

    /// <summary>An id that follows from <paramref name="source"/>: starting the same thing again finds what was started.</summary>
    public static string DerivedId(string source)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    /// <summary>A child run ended: its SUB_WORKFLOW task ends with it.</summary>
    private async Task ChildEndedAsync(WorkflowRun child)
    {
        try
        {
            await MutateAsync(child.ParentWorkflowId!, (parent, now) =>
            {
                var task = parent.FindTask(child.ParentWorkflowTaskId ?? "");
                if (task is null || task.Status.IsTerminal()) return false;
                var status = child.Status switch
                {
                    WorkflowStatus.Completed => TaskStatus.Completed,
                    WorkflowStatus.TimedOut => TaskStatus.TimedOut,
                    WorkflowStatus.Terminated => TaskStatus.Canceled,
                    _ => TaskStatus.Failed,
                };
                var output = (JsonObject)child.Output.DeepClone();
                output["subWorkflowId"] = child.WorkflowId;
                WorkflowDecider.Finish(task, new TaskOutcome(status, output, status == TaskStatus.Completed ? null : child.ReasonForIncompletion, SubWorkflowId: child.WorkflowId), now);
                parent.UpdateTime = now;
                return true;
            }, _stopping.Token);
        }
        catch (Exception e) when (e is NotFoundException or OperationCanceledException)
        {
            // The parent was removed, or the server is stopping: recovery looks again at start.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not hand the end of workflow {WorkflowId} to its parent {ParentId}", child.WorkflowId, child.ParentWorkflowId);
        }
    }

    /// <summary>
    /// After a restart: each SUB_WORKFLOW task still waiting on a child that already ended (the end was committed but
    /// its hand-over to the parent was not) ends now.
    /// </summary>
    public async Task ReconcileChildrenAsync(string workflowId, CancellationToken ct)
    {
        var run = await store.GetWorkflowAsync(workflowId, includeTasks: true, ct);
        if (run is null || run.Status.IsTerminal()) return;
        foreach (var task in run.Tasks)
        {
            if (task.Status != TaskStatus.InProgress || task.SubWorkflowId is null) continue;
            if (await store.GetWorkflowAsync(task.SubWorkflowId, includeTasks: false, ct) is { } child && child.Status.IsTerminal()) await ChildEndedAsync(child);
        }
    }

    private async Task<WorkflowRun> NewRunAsync(StartWorkflowRequest request, string? principal, CancellationToken ct, string? workflowId = null, string? inlineAuthor = null, WorkflowDef? stored = null)
    {
        WorkflowDef def;
        if (request.WorkflowDef is { } inline)
        {
            if (Tasks.Nodes.NodeWiring.IsNodeWorkflow(inline) || inline.AllTasks().Any(Tasks.Nodes.NodeWiring.IsNodeTask))
            {
                // A node workflow is checked whole by the node validator when it is saved (/v1/workflows); never given inline.
                throw new InvalidRequestException("$.workflowDef", "a node workflow cannot be given inline; save it with POST /v1/workflows and start it with POST /v1/workflows/{identifier}/runs");
            }
            definitions.Validate(inline, "$.workflowDef");
            // Its author is whoever starts it (or, for a child, whoever wrote it), whatever the request says: the author's
            // rights decide which secrets flow into it.
            DefinitionCatalog.StampInline(inline, inlineAuthor ?? principal);
            def = inline;
        }
        else
        {
            if (string.IsNullOrWhiteSpace(request.Name)) throw new InvalidRequestException("$.name", "name is required");
            def = stored is not null && stored.Name == request.Name && (request.Version is null || stored.Version == request.Version)
                ? stored
                : await definitions.GetWorkflowDefAsync(request.Name, request.Version, ct);
        }
        definitions.CheckNoSecretValues(new JsonObject
        {
            ["input"] = request.Input?.DeepClone(),
            ["correlationId"] = request.CorrelationId,
            ["idempotencyKey"] = request.IdempotencyKey,
            ["taskToDomain"] = request.TaskToDomain is { } domains ? new JsonObject(domains.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))) : null,
        }, "$");
        var now = Clock.NowMs();
        var input = (JsonObject?)request.Input?.DeepClone() ?? [];
        if (Tasks.Nodes.NodeWiring.IsNodeWorkflow(def)) input = Tasks.Nodes.Trigger.SelfServeInputs.CheckStart(def, input);
        if (def.InputTemplate is { } template)
        {
            foreach (var (key, value) in template)
            {
                if (input[key] is null) input[key] = value?.DeepClone();
            }
        }
        return new WorkflowRun
        {
            WorkflowId = workflowId ?? WorkflowDecider.NewId(),
            WorkflowName = def.Name,
            WorkflowVersion = def.Version,
            Status = WorkflowStatus.Running,
            Input = input,
            Variables = (JsonObject?)def.Variables?.DeepClone() ?? [],
            CorrelationId = request.CorrelationId,
            Priority = Math.Clamp(request.Priority, 0, 99),
            CreateTime = now,
            StartTime = now,
            UpdateTime = now,
            CreatedBy = principal, // never the request's createdBy: a caller cannot start a run as someone else
            TaskToDomain = request.TaskToDomain,
            IdempotencyKey = request.IdempotencyKey,
            WorkflowDefinition = def,
            OwnerNode = cluster.IsShared ? cluster.NodeId : null,
        };
    }

    private async Task CreateAsync(WorkflowRun run, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(run.WorkflowId, ct);
        vault.RunStarted(run.WorkflowId);
        var now = run.StartTime;
        decider.Schedule(run, Tasks.Nodes.NodeWiring.StartingTask(run), now);
        decider.Decide(run, now);
        await CommitAsync(run, now, null);
    }

    // ---- reading --------------------------------------------------------------------------------------------

    public async Task<WorkflowRun> GetWorkflowAsync(string workflowId, bool includeTasks, CancellationToken ct) =>
        await store.GetWorkflowAsync(workflowId, includeTasks, ct) ?? throw WorkflowNotFound(workflowId);

    public async Task<TaskRun> GetTaskAsync(string taskId, CancellationToken ct) =>
        await store.GetTaskAsync(taskId, ct) ?? throw new NotFoundException($"No task with id '{taskId}'");

    public Task<SearchResult<WorkflowRun>> SearchAsync(WorkflowQuery query, CancellationToken ct) => store.SearchAsync(query, ct);

    public Task<IReadOnlyList<string>> GetRunningIdsAsync(string name, int? version, long? startedAfter, long? startedBefore, CancellationToken ct) =>
        store.GetRunningWorkflowIdsAsync(name, version, startedAfter, startedBefore, ct);

    // ---- workflow operations --------------------------------------------------------------------------------

    public Task TerminateAsync(string workflowId, string? reason, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is already {run.Status.WireName()}; only a running or paused workflow can be terminated");
            decider.EndWorkflow(run, WorkflowStatus.Terminated, string.IsNullOrEmpty(reason) ? "Terminated by request" : reason, now);
            return true;
        }, ct);

    /// <summary>
    /// A run's end as Baton's RUN_FINISHED event: who and what, never its input or output. A run an EVENT trigger
    /// started says so (<c>eventTriggered</c>), and EVENT triggers do not fire on it, so no chain of them can loop.
    /// </summary>
    private static System.Text.Json.Nodes.JsonObject FinishedEvent(WorkflowRun run) => new()
    {
        ["workflowName"] = run.WorkflowName,
        ["workflowVersion"] = run.WorkflowVersion,
        ["workflowId"] = run.WorkflowId,
        ["status"] = run.Status.WireName(),
        ["correlationId"] = run.CorrelationId,
        ["startedBy"] = run.CreatedBy,
        ["eventTriggered"] = Tasks.Nodes.NodeWiring.IsNodeWorkflow(run.WorkflowDefinition) && Tasks.Nodes.NodeWiring.TriggerOf(run) is { } trigger
            && run.WorkflowDefinition.Tasks.Any(t => t.TaskReferenceName == trigger && Tasks.Nodes.NodeWiring.ConfigText(t, "type") == "EVENT_TRIGGER"),
    };

    /// <summary>
    /// Port's cancel: ends the run TERMINATED at once when nothing is in flight or <paramref name="force"/> is set;
    /// otherwise marks it cancelling, and the run ends once the node in flight has ended, with nothing after it
    /// scheduled. Answers whether the run ended now.
    /// </summary>
    public async Task<bool> CancelAsync(string workflowId, string reason, bool force, CancellationToken ct)
    {
        var ended = false;
        await MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status.IsTerminal()) throw new ConflictException($"Run {workflowId} is already {run.Status.WireName()}; only a run in progress can be cancelled");
            if (run.CancelRequested is not null && !force) return false;
            if (force || !decider.HasTaskInFlight(run))
            {
                decider.EndWorkflow(run, WorkflowStatus.Terminated, reason, now);
                ended = true;
            }
            else
            {
                run.CancelRequested = reason;
                run.UpdateTime = now;
            }
            return true;
        }, ct);
        return ended;
    }

    public Task PauseAsync(string workflowId, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is {run.Status.WireName()}; only a running workflow can be paused");
            if (run.Status == WorkflowStatus.Paused) return false;
            run.Status = WorkflowStatus.Paused;
            run.UpdateTime = now;
            return true;
        }, ct);

    public Task ResumeAsync(string workflowId, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status != WorkflowStatus.Paused) throw new ConflictException($"Workflow {workflowId} is {run.Status.WireName()}, not PAUSED");
            run.Status = WorkflowStatus.Running;
            run.UpdateTime = now;
            return true;
        }, ct);

    /// <summary>
    /// Makes the run's worker tasks that a callbackAfterSeconds holds back pollable now (Conductor's resetcallbacks);
    /// 409 for a finished run.
    /// </summary>
    public async Task ResetCallbacksAsync(string workflowId, CancellationToken ct)
    {
        var reset = new List<TaskRun>();
        await MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is {run.Status.WireName()}; callbacks are reset only on a running or paused workflow");
            foreach (var task in run.Tasks)
            {
                if (task.Status != TaskStatus.Scheduled || !WorkflowDecider.IsWorkerTask(task) || task.CallbackAfterSeconds <= 0) continue;
                task.CallbackAfterSeconds = 0;
                task.UpdateTime = now;
                reset.Add(task);
            }
            return reset.Count > 0;
        }, ct, decide: false);
        foreach (var task in reset) queue.MakeVisibleNow(task.TaskType, new QueuedTask(task.TaskId, workflowId));
    }

    /// <summary>
    /// Skips a task the run has not reached yet (Conductor's skiptask): a SKIPPED entry with the given input and output
    /// stands in for it, and when the flow reaches it, it goes on to what follows. 409 when the run is not running or the
    /// task was already scheduled; 400 when the definition has no such task.
    /// </summary>
    public Task SkipTaskAsync(string workflowId, string referenceName, JsonObject? input, JsonObject? output, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status != WorkflowStatus.Running) throw new ConflictException($"The workflow {workflowId} is not running so the task referenced by {referenceName} cannot be skipped");
            var workflowTask = run.WorkflowDefinition.AllTasks().FirstOrDefault(t => t.TaskReferenceName == referenceName)
                ?? throw new InvalidRequestException("taskReferenceName", $"The task referenced by {referenceName} does not exist in the WorkflowDefinition {run.WorkflowName}");
            if (run.LatestTask(referenceName) is not null) throw new ConflictException($"The task referenced {referenceName} has already been processed, cannot be skipped");
            definitions.CheckNoSecretValues(new JsonObject { ["taskInput"] = input?.DeepClone(), ["taskOutput"] = output?.DeepClone() }, "$");
            run.Tasks.Add(new TaskRun
            {
                TaskId = WorkflowDecider.NewId(),
                TaskType = workflowTask.Type == Core.Definitions.TaskTypes.Simple ? workflowTask.Name : workflowTask.Type,
                TaskDefName = workflowTask.Name,
                ReferenceTaskName = referenceName,
                Status = TaskStatus.Skipped,
                WorkflowInstanceId = run.WorkflowId,
                WorkflowType = run.WorkflowName,
                WorkflowPriority = run.Priority,
                CorrelationId = run.CorrelationId,
                InputData = (JsonObject?)input?.DeepClone() ?? [],
                OutputData = (JsonObject?)output?.DeepClone() ?? [],
                Seq = run.Tasks.Count == 0 ? 1 : run.Tasks[^1].Seq + 1,
                ScheduledTime = now,
                EndTime = now,
                UpdateTime = now,
                WorkflowTask = workflowTask,
            });
            run.UpdateTime = now;
            return true;
        }, ct);

    /// <summary>
    /// Conductor's retry: reschedules the last failed, timed-out or canceled attempts of a finished run, then reopens the
    /// runs above it (<see cref="ReopenParentsAsync"/>). With <paramref name="resumeSubworkflowTasks"/>, when the run's
    /// first unsuccessful task is a SUB_WORKFLOW, the deepest failed child is retried instead and the runs above it resume.
    /// </summary>
    public async Task RetryAsync(string workflowId, CancellationToken ct, bool resumeSubworkflowTasks = false)
    {
        if (resumeSubworkflowTasks) workflowId = await LastFailedChildAsync(workflowId, ct);
        await RetryOneAsync(workflowId, ct);
        await ReopenParentsAsync(workflowId, ct);
    }

    /// <summary>Follows a finished run's first unsuccessful SUB_WORKFLOW task down to the child that failed (Conductor's findLastFailedSubWorkflowIfAny).</summary>
    private async Task<string> LastFailedChildAsync(string workflowId, CancellationToken ct)
    {
        for (var depth = 0; depth < 64; depth++)
        {
            var run = await GetWorkflowAsync(workflowId, includeTasks: true, ct);
            if (!run.Status.IsTerminal()) break;
            var failed = run.Tasks.FirstOrDefault(t => t.Status is TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut or TaskStatus.Canceled);
            if (failed is not { TaskType: Core.Definitions.TaskTypes.SubWorkflow, SubWorkflowId: { } child }) break;
            if (await store.GetWorkflowAsync(child, includeTasks: false, ct) is not { } childRun || !childRun.Status.IsTerminal() || childRun.Status == WorkflowStatus.Completed) break;
            workflowId = child;
        }
        return workflowId;
    }

    /// <summary>
    /// After a child run is retried, its parents run again (Conductor's updateAndPushParents): each parent's SUB_WORKFLOW task
    /// that waits on the child goes back IN_PROGRESS and the parent back to RUNNING, up the chain, unless that task is
    /// optional or was already retried into a new attempt. The child's end is handed over as usual when it comes.
    /// </summary>
    private async Task ReopenParentsAsync(string workflowId, CancellationToken ct)
    {
        var child = await GetWorkflowAsync(workflowId, includeTasks: false, ct);
        for (var depth = 0; depth < 64 && child.ParentWorkflowId is { } parentId && child.ParentWorkflowTaskId is { } taskId; depth++)
        {
            var reopened = false;
            await MutateAsync(parentId, (parent, now) =>
            {
                if (parent.FindTask(taskId) is not { } task || task.WorkflowTask is { Optional: true } || task.Retried) return false;
                if (task.Status == TaskStatus.InProgress && parent.Status == WorkflowStatus.Running) return false;
                Reopen(task, now);
                if (parent.Status.IsTerminal())
                {
                    // What the parent's end canceled waits again: its JOINs and loops in place, other tasks as new attempts.
                    foreach (var canceled in parent.Tasks.GroupBy(t => t.ReferenceTaskName).Select(g => g.Last()).Where(t => t.Status == TaskStatus.Canceled).ToList())
                    {
                        if (ResumesInPlace(parent, canceled))
                        {
                            Reopen(canceled, now);
                            continue;
                        }
                        NewAttempt(parent, canceled, now);
                    }
                    parent.Status = WorkflowStatus.Running;
                    parent.ReasonForIncompletion = null;
                    parent.EndTime = 0;
                    parent.FailedReferenceTaskNames.Clear();
                    parent.FailedTaskNames.Clear();
                    parent.LastRetriedTime = now;
                }
                parent.UpdateTime = now;
                reopened = true;
                return true;
            }, ct);
            if (!reopened) break;
            child = await GetWorkflowAsync(parentId, includeTasks: false, ct);
        }
    }

    private static bool ResumesInPlace(WorkflowRun run, TaskRun task)
    {
        var type = task.WorkflowTask?.Type ?? task.TaskType;
        if (type is not (Core.Definitions.TaskTypes.Join or Core.Definitions.TaskTypes.DoWhile)) return false;
        if (task.Status == TaskStatus.Canceled) return true;
        var joinOn = task.InputData["joinOn"] is JsonArray given
            ? given.Select(r => r is JsonValue v && v.TryGetValue<string>(out var reference) ? reference : "").ToList()
            : task.WorkflowTask?.JoinOn ?? [];
        return task.Status == TaskStatus.Failed && type == Core.Definitions.TaskTypes.Join
            && joinOn.Any(reference => run.LatestTask(reference) is { WorkflowTask.Permissive: true } joined
                && joined.Status is TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut);
    }

    /// <summary>A retry's new attempt of an ended task, with the input the ended one had.</summary>
    private void NewAttempt(WorkflowRun run, TaskRun ended, long now)
    {
        ended.Retried = true;
        ended.Executed = true;
        ended.UpdateTime = now;
        var attempt = decider.Schedule(run, ended.WorkflowTask ?? new WorkflowTask { Name = ended.TaskDefName, TaskReferenceName = ended.ReferenceTaskName, Type = ended.TaskType }, now, retryOf: ended);
        // As Conductor: the old input, with the template evaluated anew over it (so ${CPEWF_TASK_ID} names this attempt).
        var fresh = attempt.InputData;
        attempt.InputData = (JsonObject)ended.InputData.DeepClone();
        foreach (var (key, value) in fresh) attempt.InputData[key] = value?.DeepClone();
    }

    /// <summary>An ended entry waits again, in place (a JOIN or DO_WHILE on retry, a SUB_WORKFLOW whose child runs again).</summary>
    private static void Reopen(TaskRun task, long now)
    {
        task.Status = TaskStatus.InProgress;
        task.ReasonForIncompletion = null;
        task.Executed = false;
        task.EndTime = 0;
        task.UpdateTime = now;
    }

    private Task RetryOneAsync(string workflowId, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (!run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is still {run.Status.WireName()}; only a finished workflow can be retried");
            if (run.Status == WorkflowStatus.Completed) throw new ConflictException($"Workflow {workflowId} COMPLETED; use restart to run it again");
            var unsuccessful = run.Tasks
                .GroupBy(t => t.ReferenceTaskName)
                .Select(g => g.Last())
                .Where(t => t.Status is TaskStatus.Failed or TaskStatus.FailedWithTerminalError or TaskStatus.TimedOut or TaskStatus.Canceled)
                .ToList();
            // As Conductor's retry: a canceled JOIN or DO_WHILE (and a JOIN failed by a permissive task) waits again in
            // place, on the new attempts of the tasks it holds; everything else gets a new attempt.
            var inPlace = unsuccessful.Where(t => ResumesInPlace(run, t)).ToList();
            var toRetry = unsuccessful.Except(inPlace).ToList();
            if (toRetry.Count == 0 && run.Status != WorkflowStatus.TimedOut)
            {
                throw new ConflictException($"Workflow {workflowId} has no failed task to retry; use restart to run it again");
            }
            foreach (var container in inPlace) Reopen(container, now);
            foreach (var failed in toRetry) NewAttempt(run, failed, now);
            run.Status = WorkflowStatus.Running;
            run.ReasonForIncompletion = null;
            run.EndTime = 0;
            run.LastRetriedTime = now;
            run.UpdateTime = now;
            return true;
        }, ct);

    /// <summary>
    /// Conductor's rerun: a finished run runs again under the same id, from the task <paramref name="taskId"/> (the tasks
    /// after it are removed and it is scheduled afresh, with <paramref name="taskInput"/> when given), or from the start
    /// when no task is named; <paramref name="workflowInput"/> and <paramref name="correlationId"/> replace the run's own
    /// when given. Caller-given inputs may hold no secret value, and a reference in them is honoured only where the
    /// definition's template wrote one (the hand-off's rule). Rerunning from a task inside a child run is not supported.
    /// </summary>
    public async Task<string> RerunAsync(string workflowId, string? taskId, JsonObject? taskInput, JsonObject? workflowInput, string? correlationId, CancellationToken ct)
    {
        definitions.CheckNoSecretValues(new JsonObject { ["taskInput"] = taskInput?.DeepClone(), ["workflowInput"] = workflowInput?.DeepClone() }, "$");
        List<string>? removed = null;
        await MutateAsync(workflowId, (run, now) =>
        {
            if (!run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is still {run.Status.WireName()}; only a finished workflow can be rerun");
            TaskRun? from = null;
            if (taskId is not null)
            {
                from = run.FindTask(taskId) ?? throw new InvalidRequestException("reRunFromTaskId", $"Task {taskId} not found in workflow {workflowId}");
                if (from.TaskType == Core.Definitions.TaskTypes.SubWorkflow)
                {
                    throw new InvalidRequestException("reRunFromTaskId", $"Task {taskId} is a SUB_WORKFLOW; rerunning from a SUB_WORKFLOW task is not supported (retry the run instead)");
                }
            }
            removed = [.. run.Tasks.Where(t => from is null || t.Seq > from.Seq).Select(t => t.TaskId)];
            var gone = removed.ToHashSet(StringComparer.Ordinal);
            run.Tasks.RemoveAll(t => gone.Contains(t.TaskId));
            if (workflowInput is not null) run.Input = (JsonObject)workflowInput.DeepClone();
            if (correlationId is not null) run.CorrelationId = correlationId;
            run.Status = WorkflowStatus.Running;
            run.Output = [];
            run.ReasonForIncompletion = null;
            run.FailedReferenceTaskNames.Clear();
            run.FailedTaskNames.Clear();
            run.EndTime = 0;
            run.UpdateTime = now;
            if (from is null)
            {
                run.Variables = (JsonObject?)run.WorkflowDefinition.Variables?.DeepClone() ?? [];
                decider.Schedule(run, Tasks.Nodes.NodeWiring.StartingTask(run), now);
                return true;
            }
            if (taskInput is not null) from.InputData = (JsonObject)taskInput.DeepClone();
            from.Status = TaskStatus.Scheduled;
            from.OutputData = [];
            from.SealedOutput = null;
            from.SealedFrom = null;
            from.ReasonForIncompletion = null;
            from.Retried = false;
            from.Executed = false;
            from.PollCount = 0;
            from.WorkerId = null;
            from.ScheduledTime = now;
            from.StartTime = 0;
            from.EndTime = 0;
            from.UpdateTime = now;
            return true;
        }, ct, () => removed);
        return workflowId;
    }

    /// <summary>
    /// Runs a finished workflow again from the start under the same id. With the latest definitions the run executes
    /// code its principal may not have chosen, so it is re-bound to <paramref name="caller"/> (audited): from then on
    /// it acts with the caller's rights, never the starter's.
    /// </summary>
    public async Task RestartAsync(string workflowId, bool useLatestDefinition, string? caller, CancellationToken ct)
    {
        string? reboundFrom = null;
        WorkflowDef? latest = null;
        if (useLatestDefinition)
        {
            var existing = await GetWorkflowAsync(workflowId, includeTasks: false, ct);
            latest = await definitions.GetWorkflowDefAsync(existing.WorkflowName, null, ct);
        }
        List<string>? removed = null;
        await MutateAsync(workflowId, (run, now) =>
        {
            if (!run.Status.IsTerminal()) throw new ConflictException($"Workflow {workflowId} is still {run.Status.WireName()}; only a finished workflow can be restarted");
            if (run.Status == WorkflowStatus.Completed && !run.WorkflowDefinition.Restartable)
            {
                // Conductor answers this with NotFoundException (404), and its own spec expects that.
                throw new NotFoundException($"Workflow: {workflowId} is non-restartable: it COMPLETED and its definition sets restartable to false");
            }
            if (latest is not null)
            {
                run.WorkflowDefinition = latest;
                run.WorkflowVersion = latest.Version;
                if (!string.Equals(run.CreatedBy, caller, StringComparison.OrdinalIgnoreCase))
                {
                    reboundFrom = run.CreatedBy ?? "(no principal)";
                    run.CreatedBy = caller;
                }
            }
            removed = run.Tasks.Select(t => t.TaskId).ToList();
            run.Tasks.Clear();
            run.Status = WorkflowStatus.Running;
            run.Output = [];
            run.Variables = (JsonObject?)run.WorkflowDefinition.Variables?.DeepClone() ?? [];
            run.ReasonForIncompletion = null;
            run.FailedReferenceTaskNames.Clear();
            run.FailedTaskNames.Clear();
            run.StartTime = now;
            run.EndTime = 0;
            run.LastRetriedTime = 0;
            run.UpdateTime = now;
            decider.Schedule(run, Tasks.Nodes.NodeWiring.StartingTask(run), now);
            return true;
        }, ct, () => removed,
            // A restarted run forgets which secret versions it used, so it resolves afresh; a re-binding is on record first.
            beforeCommit: async () =>
            {
                if (reboundFrom is not null)
                {
                    await audit.AppendAsync(new Baton.Secrets.Audit.AuditEvent
                    {
                        Time = Clock.NowMs(),
                        Action = "run-rebind",
                        Outcome = "ok",
                        Principal = caller,
                        WorkflowId = workflowId,
                        Detail = redactor.Redact($"restarted with the latest definition ({latest!.Name} version {latest.Version}): the run now acts as {caller}, not {reboundFrom}"),
                    }, ct);
                }
                await vault.ClearManifestAsync(workflowId, ct);
            });
    }

    public async Task RemoveAsync(string workflowId, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(workflowId, ct);
        _active.TryRemove(workflowId, out _);
        if (!await store.RemoveWorkflowAsync(workflowId, ct)) throw WorkflowNotFound(workflowId);
    }

    /// <summary>
    /// Looks again at every run whose last change could not be recorded because the store was away (a database server
    /// that stopped or could not be reached). What such a change held is lost, as in a crash: the decider starts again
    /// from what the store holds, so a system task whose outcome was not recorded is handed out again (at least once,
    /// as after a restart) and a worker's answer that was refused is sent again by its worker. A run stays on the list
    /// until one look goes through. Called about every second by the engine host.
    /// </summary>
    public async Task RetryUnrecordedAsync(CancellationToken ct)
    {
        foreach (var workflowId in _unrecorded.Keys)
        {
            try
            {
                await DecideAsync(workflowId, ct);
                _unrecorded.TryRemove(workflowId, out _);
            }
            catch (NotFoundException)
            {
                _unrecorded.TryRemove(workflowId, out _);
            }
            catch (Exception e) when (IsStoreAway(e))
            {
                return; // Still away: the next round tries again.
            }
        }
    }

    /// <summary>Whether <paramref name="e"/> says the store could not be reached (a transient database error), not that a change was refused.</summary>
    private static bool IsStoreAway(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Data.Common.DbException { IsTransient: true }) return true;
        }
        return false;
    }

    /// <summary>Lets the decider look at a run again (timers, PUT /decide).</summary>
    public Task DecideAsync(string workflowId, CancellationToken ct) =>
        MutateAsync(workflowId, (_, _) => false, ct);

    /// <summary>
    /// Carries a run on after a restart. While the server was down no worker could report, so the response timeout of
    /// each task a worker holds runs again from now: otherwise the decider would time out, at once, a task whose worker
    /// has its answer ready and is retrying it, and the answer the worker then gets acknowledged is ignored.
    /// </summary>
    public Task ResumeAfterRestartAsync(string workflowId, CancellationToken ct) =>
        MutateAsync(workflowId, (run, now) =>
        {
            if (run.Status != WorkflowStatus.Running) return false;
            var held = false;
            foreach (var task in run.Tasks)
            {
                if (task.Status != TaskStatus.InProgress || !WorkflowDecider.IsWorkerTask(task) || task.ResponseTimeoutSeconds <= 0) continue;
                task.UpdateTime = now;
                held = true;
            }
            if (held) run.UpdateTime = now;
            return held;
        }, ct);

    // ---- worker tasks ---------------------------------------------------------------------------------------

    /// <summary>Hands up to <paramref name="count"/> scheduled tasks of a type to a worker, waiting up to <paramref name="wait"/>.</summary>
    /// <param name="worker">The polling principal: it holds the tasks it takes, and gets a secret only if it may use it.</param>
    public async Task<IReadOnlyList<TaskRun>> PollAsync(string taskType, string? workerId, string? domain, int count, TimeSpan wait, string worker, CancellationToken ct)
    {
        RecordPoll(taskType, workerId, domain);
        var handed = new List<TaskRun>();
        var remaining = wait;
        var deadline = DateTime.UtcNow + wait;
        while (handed.Count < count)
        {
            var items = await queue.TakeAsync(taskType, count - handed.Count, remaining, ct);
            if (items.Count == 0) break;
            foreach (var item in items)
            {
                TaskRun? taken = null;
                HandOffPlan? plan = null;
                RuntimeMetadataPlan? declared = null;
                try
                {
                    await MutateAsync(item.WorkflowId, (run, now) =>
                    {
                        var task = run.FindTask(item.TaskId);
                        // The queue entry is a hint (another node may have sent it): the run decides whether this poll may take it.
                        if (task is null || task.Status != TaskStatus.Scheduled || task.TaskType != taskType || !WorkflowDecider.IsWorkerTask(task)) return false;
                        if (task.VisibleAfter() > now)
                        {
                            queue.Offer(taskType, item, task.VisibleAfter()); // offered too early: back until it is due
                            return false;
                        }
                        task.Status = TaskStatus.InProgress;
                        task.PollCount++;
                        task.WorkerId = workerId;
                        task.WorkerPrincipal = worker;
                        task.Domain = domain;
                        task.StartTime = now;
                        task.UpdateTime = now;
                        run.UpdateTime = now;
                        taken = task.Snapshot();
                        if (SecretHandOff.NeedsHandOff(run, task))
                        {
                            plan = handOff.Prepare(run, task, environment.Document);
                            plan.Worker = worker;
                        }
                        declared = RuntimeMetadataOf(run, task, worker);
                        return true;
                    }, ct, decide: false);
                }
                catch (NotFoundException)
                {
                    // The run was removed while its task waited in the queue.
                }
                if (taken is not null && cluster.IsShared)
                {
                    cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.TaskTaken, TaskType = taskType, TaskId = taken.TaskId });
                }
                if (taken is not null && await HandOverAsync(taken, plan, ct) is { } ready && await WithRuntimeMetadataAsync(ready, declared, ct) is { } complete)
                {
                    handed.Add(complete);
                }
            }
            remaining = deadline - DateTime.UtcNow;
            if (handed.Count > 0 || remaining <= TimeSpan.Zero) remaining = TimeSpan.Zero;
        }
        return handed;
    }

    /// <summary>What a polled task's definition declares in <c>runtimeMetadata</c>, and who vouches for those names.</summary>
    private sealed record RuntimeMetadataPlan(IReadOnlyList<string> Names, ResolutionContext Context);

    private RuntimeMetadataPlan? RuntimeMetadataOf(WorkflowRun run, TaskRun task, string worker)
    {
        var embedded = task.WorkflowTask?.TaskDefinition;
        var def = embedded ?? definitions.TaskDef(task.TaskDefName);
        if (def?.RuntimeMetadata is not { Count: > 0 } names) return null;
        // The names are written by the embedded definition's workflow author, or by the task definition's own author
        // (stamped by the server when it was saved): that author must be able to read each secret.
        var origin = embedded is not null
            ? SecretHandOff.OriginOf(run.WorkflowDefinition)
            : new DefinitionOrigin(def.Name, 0, def.UpdatedBy, "") { IsTaskDefinition = true };
        return new([.. names.Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.Ordinal).Take(64)],
            new ResolutionContext(run.WorkflowId, task.TaskId, task.ReferenceTaskName, run.CreatedBy) { Definition = origin, Worker = worker });
    }

    /// <summary>
    /// Adds the declared runtimeMetadata values to a poll answer: each name a live secret resolves through the vault's one
    /// resolver (every rule of a hand-off, audited before it is given), else an environment value; a name that is neither
    /// is left out, as in Conductor. A secret the rules refuse fails the task, naming it, and the worker gets nothing.
    /// </summary>
    private async Task<TaskRun?> WithRuntimeMetadataAsync(TaskRun task, RuntimeMetadataPlan? declared, CancellationToken ct)
    {
        if (declared is null) return task;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var secrets = new List<string>();
        foreach (var name in declared.Names)
        {
            if (await vault.ExistsAsync(name, ct)) secrets.Add(name);
            else if (environment.Document[name] is { } value) values[name] = value is JsonValue text && text.GetValueKind() == JsonValueKind.String ? text.GetValue<string>() : value.ToJsonString();
        }
        try
        {
            if (secrets.Count > 0)
            {
                foreach (var (name, value) in await vault.ResolveAsync(secrets, declared.Context, ct)) values[name] = value.Text;
            }
        }
        catch (SecretResolutionException e)
        {
            await MutateAsync(task.WorkflowInstanceId, (run, now) =>
            {
                var current = run.FindTask(task.TaskId);
                if (current is null || current.Status.IsTerminal()) return false;
                return ApplyResult(run, current, TaskStatus.Failed, null, $"Task '{task.ReferenceTaskName}' was not handed over: {e.Message}", 0, null, now);
            }, CancellationToken.None);
            return null;
        }
        task.RuntimeMetadata = values;
        return task;
    }

    /// <summary>
    /// Resolves the secrets a polled task's template names, in the answer only. When that fails, the task fails
    /// with the reason (naming the secret, never a value) and the worker gets nothing.
    /// </summary>
    private async Task<TaskRun?> HandOverAsync(TaskRun task, HandOffPlan? plan, CancellationToken ct)
    {
        if (plan is null) return task;
        try
        {
            task.InputData = await handOff.ResolveAsync(task, plan, ct);
            return task;
        }
        catch (SecretResolutionException e)
        {
            await MutateAsync(task.WorkflowInstanceId, (run, now) =>
            {
                var current = run.FindTask(task.TaskId);
                if (current is null || current.Status.IsTerminal()) return false;
                return ApplyResult(run, current, TaskStatus.Failed, null, $"Task '{task.ReferenceTaskName}' was not handed over: {e.Message}", 0, null, now);
            }, CancellationToken.None);
            return null;
        }
    }

    /// <summary>
    /// Applies a worker's result. A result for a task that already finished changes nothing. Only the principal whose
    /// poll holds the task, or one that may report any (an administrator), may report it; the server's own tasks are
    /// never reported through here.
    /// </summary>
    public async Task<string> UpdateTaskAsync(TaskResult result, TaskReporter reporter, CancellationToken ct)
    {
        var problems = new List<Core.Validation.ValidationProblem>();
        if (string.IsNullOrWhiteSpace(result.WorkflowInstanceId)) problems.Add(new("$.workflowInstanceId", "workflowInstanceId is required"));
        if (string.IsNullOrWhiteSpace(result.TaskId)) problems.Add(new("$.taskId", "taskId is required"));
        var status = TaskStatus.Completed;
        if (string.IsNullOrWhiteSpace(result.Status))
        {
            problems.Add(new("$.status", "status is required"));
        }
        else if (!TaskStatusExtensions.TryParseWire(result.Status, out status) ||
                 status is not (TaskStatus.InProgress or TaskStatus.Completed or TaskStatus.Failed or TaskStatus.FailedWithTerminalError))
        {
            problems.Add(new("$.status", $"status '{result.Status}' is not one of IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR"));
        }
        if (result.CallbackAfterSeconds < 0) problems.Add(new("$.callbackAfterSeconds", "callbackAfterSeconds cannot be negative"));
        if (problems.Count > 0) throw new InvalidRequestException(problems);

        var taskId = result.TaskId!;
        List<TaskExecLog>? logs = null;
        await MutateAsync(result.WorkflowInstanceId!, (run, now) =>
        {
            var task = run.FindTask(taskId) ?? throw new NotFoundException($"Workflow {run.WorkflowId} has no task with id '{taskId}'");
            CheckReporter(task, reporter);
            if (result.Logs is { Count: > 0 } lines)
            {
                // Redacted now, while the run's quarantined outputs are known here: the commit may end the run and let them go.
                RememberSealed(run);
                logs = [.. lines.Select(l => new TaskExecLog { Log = RunRedaction.Redact(redactor, l.Log), TaskId = taskId, CreatedTime = l.CreatedTime > 0 ? l.CreatedTime : now })];
            }
            return ApplyResult(run, task, status, result.OutputData, result.ReasonForIncompletion, result.CallbackAfterSeconds, result.WorkerId, now);
        }, ct);
        if (logs is { Count: > 0 }) await store.AddTaskLogsAsync(logs, ct);
        return taskId;
    }

    /// <summary>Applies a result to the pending task with a reference name (POST /api/tasks/{workflowId}/{ref}/{status}).</summary>
    public async Task<string> UpdateTaskByReferenceAsync(string workflowId, string referenceName, string statusText, JsonObject? output, string? workerId, TaskReporter reporter, CancellationToken ct)
    {
        if (!TaskStatusExtensions.TryParseWire(statusText, out var status) ||
            status is not (TaskStatus.InProgress or TaskStatus.Completed or TaskStatus.Failed or TaskStatus.FailedWithTerminalError))
        {
            throw new InvalidRequestException("status", $"status '{statusText}' is not one of IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR");
        }
        string? taskId = null;
        await MutateAsync(workflowId, (run, now) =>
        {
            var task = run.Tasks.LastOrDefault(t => t.ReferenceTaskName == referenceName && !t.Status.IsTerminal())
                ?? throw new NotFoundException($"Workflow {workflowId} has no pending task with reference name '{referenceName}'");
            taskId = task.TaskId;
            CheckReporter(task, reporter);
            return ApplyResult(run, task, status, output, null, 0, workerId, now);
        }, ct);
        return taskId!;
    }

    /// <summary>
    /// Port's node run update (PATCH /v1/workflows/nodes/runs/{id}): completes a node that waits for its callback (a
    /// WEBHOOK with <c>synchronized: false</c>) with the result and output given. The API checked that the caller may
    /// operate the run; any other node runs in the server and is refused (409).
    /// </summary>
    public async Task CompleteNodeRunAsync(string taskId, Tasks.Nodes.NodeRunUpdate update, CancellationToken ct)
    {
        var stored = await GetTaskAsync(taskId, ct);
        IReadOnlyList<string>? logs = null;
        await MutateAsync(stored.WorkflowInstanceId, (run, now) =>
        {
            var task = run.FindTask(taskId) ?? throw new NotFoundException($"No node run '{taskId}'");
            if (task.Status.IsTerminal()) return false; // a callback that comes again changes nothing
            // A callback may overtake the commit of its own request's sending (the peer answers the node run's id it
            // just received before the execution's outcome is recorded): an asynchronous WEBHOOK takes it while
            // SCHEDULED too, and the execution's outcome, coming after, finds the node ended and changes nothing.
            var node = task.WorkflowTask;
            if (node?.Type != Tasks.Nodes.NodeTypes.Webhook || !Tasks.Nodes.Webhook.NodeWebhookTaskType.WaitsForCallback(node)
                || task.Status is not (TaskStatus.InProgress or TaskStatus.Scheduled))
            {
                throw new ConflictException($"Node run '{taskId}' ('{task.ReferenceTaskName}') is not waiting for a callback; the server runs it itself");
            }
            // The node's variables and links are rendered now, with .result = the output the callback reported.
            var outcome = update.Success
                ? Tasks.Nodes.NodeOutcomes.Succeeded(node, Tasks.Nodes.NodeContext.For(run, task), TaskOutcome.Completed(update.Output ?? []), task)
                : new TaskOutcome(TaskStatus.Failed, update.Output ?? [], update.Reason ?? $"Node '{task.ReferenceTaskName}' was reported FAILED");
            if (update.Links is { Count: > 0 }) outcome = outcome with { Links = [.. outcome.Links ?? [], .. update.Links] };
            // Redacted now, while the run's derived values are known: the commit may end the run and let them go.
            logs = outcome.Logs?.Select(redactor.Redact).ToList();
            WorkflowDecider.Finish(task, outcome, now);
            if (update.ExternalRunId is not null) task.ExternalRunId = update.ExternalRunId;
            run.UpdateTime = now;
            return true;
        }, ct);
        if (logs is { Count: > 0 }) await StoreTaskLogsAsync(taskId, logs, ct);
    }

    /// <summary>
    /// Conductor's workflow test (<c>POST /api/workflow/test</c>): starts the workflow as <paramref name="principal"/>
    /// (a real run, like any other) and completes each worker task (SIMPLE) and each task completed from outside (WAIT,
    /// HUMAN) whose reference has mocks left with the next of them, in order (an iteration <c>ref__N</c> takes the
    /// mocks of <c>ref</c>), as a worker's report would; the server's own tasks run as they would. Answers the run once
    /// it ended, or once nothing more was mocked for <paramref name="wait"/>. A mock is the caller's data: its output is
    /// stored and redacted as a worker's, and text in it is never read as a secret reference.
    /// </summary>
    public async Task<WorkflowRun> TestAsync(StartWorkflowRequest start, IReadOnlyDictionary<string, List<(TaskStatus Status, JsonObject Output)>> mocks, string? principal, TimeSpan wait, CancellationToken ct)
    {
        var id = await StartAsync(start, principal, ct);
        var left = mocks.ToDictionary(m => m.Key, m => new Queue<(TaskStatus, JsonObject)>(m.Value), StringComparer.Ordinal);
        var idleSince = Clock.NowMs();
        while (true)
        {
            var run = await GetWorkflowAsync(id, includeTasks: true, ct);
            if (run.Status.IsTerminal()) return run;
            var applied = false;
            foreach (var task in run.Tasks)
            {
                if (task.Status.IsTerminal() || !(WorkflowDecider.IsWorkerTask(task) || CompletesFromOutside(task))) continue;
                if (!left.TryGetValue(task.ReferenceTaskName, out var queue) && !left.TryGetValue(WorkflowDecider.BaseReference(task), out queue)) continue;
                if (!queue.TryDequeue(out var mock)) continue;
                await MutateAsync(id, (current, now) => current.FindTask(task.TaskId) is { } entry
                    && ApplyResult(current, entry, mock.Item1, mock.Item2, mock.Item1 == TaskStatus.Completed ? null : "mocked by the workflow test", 0, "workflow-test", now), ct);
                applied = true;
            }
            if (applied)
            {
                idleSince = Clock.NowMs();
                continue;
            }
            if (Clock.NowMs() - idleSince > wait.TotalMilliseconds) return run;
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// A response to an INPUT node waiting for it (the API checked that <paramref name="responder"/> is one of its
    /// responders): recorded in the node's output, which completes once an outlet has its responders.
    /// </summary>
    public async Task RespondToInputAsync(string taskId, string responder, string outlet, JsonObject? inputs, CancellationToken ct)
    {
        var stored = await GetTaskAsync(taskId, ct);
        await MutateAsync(stored.WorkflowInstanceId, (run, now) =>
        {
            var task = run.FindTask(taskId) ?? throw new NotFoundException($"No node run '{taskId}'");
            if (task.WorkflowTask?.Type != Tasks.Nodes.NodeTypes.Input || task.Status != TaskStatus.InProgress || run.Status != WorkflowStatus.Running)
            {
                throw new ConflictException($"Node run '{taskId}' ('{task.ReferenceTaskName}') is not an INPUT waiting for responses");
            }
            if (Tasks.Nodes.Input.NodeInputTaskType.Respond(task, responder, outlet, inputs, now) is { } done) WorkflowDecider.Finish(task, done, now);
            run.UpdateTime = now;
            return true;
        }, ct);
    }

    /// <summary>
    /// Whether a task is completed from outside (WAIT, HUMAN) by whoever may execute its run's workflow, rather than by
    /// the worker that polled it. The API checks that right before it reports such a task.
    /// </summary>
    public bool CompletesFromOutside(TaskRun task) =>
        !WorkflowDecider.IsWorkerTask(task) && types.TryGet(task.WorkflowTask?.Type ?? task.TaskType, out var type) && type.CompletesFromOutside;

    /// <summary>
    /// The server's own tasks are never reported by workers, but for those completed from outside (whose reporter the API
    /// checked for EXECUTE on the workflow); a worker task only by the principal whose poll holds it.
    /// </summary>
    private void CheckReporter(TaskRun task, TaskReporter reporter)
    {
        if (!WorkflowDecider.IsWorkerTask(task))
        {
            if (CompletesFromOutside(task)) return;
            throw new InvalidRequestException("$.taskId", $"task {task.TaskId} ('{task.ReferenceTaskName}') is a {task.TaskType} task, which the server runs itself; workers report only the tasks they poll");
        }
        if (task.Status.IsTerminal() || reporter.MayReportAny) return; // a late report changes nothing
        if (task.Status != TaskStatus.InProgress || !string.Equals(task.WorkerPrincipal, reporter.Principal, StringComparison.OrdinalIgnoreCase))
        {
            throw new ForbiddenException($"Task {task.TaskId} ('{task.ReferenceTaskName}') is not held by {reporter.Principal}: only the worker whose poll took it (or an administrator) may report it; poll it first");
        }
    }

    private bool ApplyResult(WorkflowRun run, TaskRun task, TaskStatus status, JsonObject? output, string? reason, long callbackAfterSeconds, string? workerId, long now)
    {
        if (task.Status.IsTerminal())
        {
            logger.LogInformation("Ignored a result for task {TaskId}: it already ended {Status}", task.TaskId, task.Status.WireName());
            return false;
        }
        if (output is not null) task.OutputData = (JsonObject)output.DeepClone();
        if (workerId is not null) task.WorkerId = workerId;
        task.UpdateTime = now;
        run.UpdateTime = now;
        if (status == TaskStatus.InProgress && !WorkflowDecider.IsWorkerTask(task))
        {
            // A WAIT or HUMAN task given an interim output: it goes on waiting.
            task.Status = TaskStatus.InProgress;
            return true;
        }
        if (status == TaskStatus.InProgress)
        {
            // Conductor: the task goes back to the queue under the same id, pollable after callbackAfterSeconds.
            task.Status = TaskStatus.Scheduled;
            task.CallbackAfterSeconds = callbackAfterSeconds;
            return true;
        }
        task.Status = status;
        task.ReasonForIncompletion = reason;
        task.EndTime = now;
        return true;
    }

    /// <summary>Adds log lines to <paramref name="task"/> (read by the caller, which checked who may), redacted, in one write.</summary>
    public async Task AddTaskLogsAsync(TaskRun task, IReadOnlyList<string> lines, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        // The run's quarantined outputs must be known here too: the worker may log what it was given from them. An
        // active run is in memory on its node; on another node sharing the store it is read.
        var run = _active.TryGetValue(task.WorkflowInstanceId, out var cached) ? cached
            : cluster.IsShared ? await store.GetWorkflowAsync(task.WorkflowInstanceId, includeTasks: true, ct) : null;
        if (run is not null) RememberSealed(run);
        await StoreTaskLogsAsync(task.TaskId, [.. lines.Select(redactor.Redact)], ct);
    }

    /// <summary>Stores log lines already redacted.</summary>
    private Task StoreTaskLogsAsync(string taskId, IReadOnlyList<string> redacted, CancellationToken ct)
    {
        var now = Clock.NowMs();
        return store.AddTaskLogsAsync([.. redacted.Select(line => new TaskExecLog { TaskId = taskId, Log = line, CreatedTime = now })], ct);
    }

    public Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken ct) => store.GetTaskLogsAsync(taskId, ct);

    public Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken ct) => store.GetPollDataAsync(taskType, ct);

    public int QueueSize(string taskType) => queue.Size(taskType);

    public IReadOnlyDictionary<string, int> QueueSizes() => queue.Sizes();

    private readonly ConcurrentDictionary<(string, string?), long> _lastPollSaved = new();

    /// <summary>Notes who polled a queue (at most once a second per queue). A poll whose task type or domain holds a
    /// live secret's value is not noted: the value would be the row's key; a worker id is stored redacted.</summary>
    private void RecordPoll(string taskType, string? workerId, string? domain)
    {
        if (redactor.FindSecretName(taskType) is not null || (domain is not null && redactor.FindSecretName(domain) is not null)) return;
        var now = Clock.NowMs();
        var key = (taskType, domain);
        if (_lastPollSaved.TryGetValue(key, out var last) && now - last < 1000) return;
        _lastPollSaved[key] = now;
        var data = new PollData { QueueName = taskType, Domain = domain, WorkerId = RunRedaction.Redact(redactor, workerId), LastPollTime = now };
        _ = store.SavePollDataAsync(data).ContinueWith(
            t => logger.LogWarning(t.Exception, "Could not record poll data for {TaskType}", taskType),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    // ---- the core loop ---------------------------------------------------------------------------------------

    private async Task MutateAsync(
        string workflowId,
        Func<WorkflowRun, long, bool> change,
        CancellationToken ct,
        Func<IReadOnlyList<string>?>? removedTasks = null,
        bool decide = true,
        Func<Task>? beforeCommit = null)
    {
        using var held = await locks.AcquireAsync(workflowId, ct);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MutateOnceAsync(workflowId, change, removedTasks, decide, beforeCommit, ct);
                return;
            }
            catch (RunChangedElsewhereException) when (attempt < MaxDecideAgain)
            {
                // Another node changed the run since this copy was read: read it again and apply the change to that.
                _active.TryRemove(workflowId, out _);
            }
        }
    }

    private async Task MutateOnceAsync(
        string workflowId,
        Func<WorkflowRun, long, bool> change,
        Func<IReadOnlyList<string>?>? removedTasks,
        bool decide,
        Func<Task>? beforeCommit,
        CancellationToken ct)
    {
        var run = _active.TryGetValue(workflowId, out var cached)
            ? cached
            : await store.GetWorkflowAsync(workflowId, includeTasks: true, ct) ?? throw WorkflowNotFound(workflowId);
        var now = Clock.NowMs();
        bool changed;
        IReadOnlyList<string> removedByDecider = [];
        try
        {
            changed = change(run, now);
            if (decide) removedByDecider = decider.Decide(run, now).Removed;
        }
        catch
        {
            // The change was refused part-way: forget the in-memory copy, the store still has the committed state.
            _active.TryRemove(workflowId, out _);
            throw;
        }
        if (!changed && run.UpdateTime < now && !run.Tasks.Exists(t => t.UpdateTime >= now))
        {
            if (run.Status.IsTerminal()) RunEnded(run); // it may have ended on another node
            else if (Owns(run) && cached is null) _active[run.WorkflowId] = run;
            AfterCommit(run, SelectDispatches(run), []);
            return;
        }
        if (beforeCommit is not null) await beforeCommit();
        var removed = removedTasks?.Invoke();
        await CommitAsync(run, now, removedByDecider.Count == 0 ? removed : [.. removed ?? [], .. removedByDecider]);
    }

    /// <summary>Whether this node runs the run's system tasks and timers and keeps it in memory: always on one node.</summary>
    private bool Owns(WorkflowRun run) => !cluster.IsShared || run.OwnerNode == cluster.NodeId;

    private async Task CommitAsync(WorkflowRun run, long passStart, IReadOnlyList<string>? removedTaskIds)
    {
        if (run.Status is WorkflowStatus.Failed or WorkflowStatus.TimedOut && run.WorkflowDefinition.FailureWorkflow is { Length: > 0 } failureWorkflow
            && run.Output[FailureWorkflowOutput] is null)
        {
            if (await StartFailureWorkflowAsync(run, failureWorkflow) is { } started) run.Output[FailureWorkflowOutput] = started;
        }
        run.UpdateTime = Math.Max(run.UpdateTime, passStart);
        var changedTasks = run.Tasks.Where(t => t.UpdateTime >= passStart).ToList();
        RememberSealed(run);
        RunRedaction.Apply(redactor, run, changedTasks);
        var dispatches = SelectDispatches(run);
        var prepared = new List<(PendingDispatch Dispatch, PreparedResolutions Resolutions)>();
        try
        {
            // The secret resolutions of the tasks about to be handed over (audit and manifest in one) are written in this very
            // commit: durable before any value is handed over, without a commit of their own.
            foreach (var dispatch in dispatches)
            {
                if (await handOff.PrepareAheadAsync(dispatch.Task, dispatch.Plan, CancellationToken.None) is { } resolutions) prepared.Add((dispatch, resolutions));
            }
            // A commit once begun is seen through: the caller going away must not skip handing the work out.
            await store.SaveAsync(new WorkflowChange(run, changedTasks, removedTaskIds)
            {
                Resolutions = [.. prepared.Select(p => p.Resolutions.Resolution)],
            }, CancellationToken.None);
        }
        catch (Exception e)
        {
            _active.TryRemove(run.WorkflowId, out _);
            foreach (var dispatch in dispatches) _inFlight.TryRemove(dispatch.Task.TaskId, out _);
            if (IsStoreAway(e)) _unrecorded.TryAdd(run.WorkflowId, 0);
            throw;
        }
        if (run.Status.IsTerminal())
        {
            _active.TryRemove(run.WorkflowId, out _);
            RunEnded(run);
            if (events.HasSubscribers(Events.BatonEvents.RunFinished)) events.Publish(Events.BatonEvents.RunFinished, FinishedEvent(run));
            if (run.ParentWorkflowId is not null) _ = Task.Run(() => ChildEndedAsync(run));
            foreach (var task in changedTasks)
            {
                // A run that ended with children still running ends them too (terminate, timeout, failure elsewhere).
                if (task.SubWorkflowId is { } child && task.Status == TaskStatus.Canceled) _ = Task.Run(() => EndChildAsync(child, run));
            }
        }
        else if (Owns(run))
        {
            _active[run.WorkflowId] = run;
        }
        foreach (var (dispatch, resolutions) in prepared) handOff.Committed(dispatch.Plan, resolutions);
        AfterCommit(run, dispatches, changedTasks);
        if (!Owns(run)) cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.RunChanged, Target = run.OwnerNode, WorkflowId = run.WorkflowId });
    }

    private sealed record PendingDispatch(TaskRun Task, HandOffPlan Plan, ISystemTask Handler);

    /// <summary>The system tasks due to run now, each prepared under the run's lock and marked in flight.</summary>
    private List<PendingDispatch> SelectDispatches(WorkflowRun run)
    {
        var due = new List<PendingDispatch>();
        if (run.Status != WorkflowStatus.Running || !Owns(run)) return due;
        var now = Clock.NowMs();
        foreach (var task in run.Tasks)
        {
            if (task.Status != TaskStatus.Scheduled || WorkflowDecider.IsWorkerTask(task) || task.VisibleAfter() > now) continue;
            if (!systemTasks.TryGet(task.TaskType, out var handler) || !(handler.RunsAsync || SecretHandOff.NeedsHandOff(run, task))) continue;
            if (!_inFlight.TryAdd(task.TaskId, 0)) continue;
            // Prepared here, under the run's lock: the task runs beside later passes over the same run.
            due.Add(new PendingDispatch(task, handOff.Prepare(run, task, environment.Document), handler));
        }
        return due;
    }

    /// <summary>
    /// Hands out what the committed state asks for: worker queue entries (here, and to the other nodes' pollers for
    /// those <paramref name="changed"/> by this commit), system task runs and a timer (by the run's owner).
    /// </summary>
    private void AfterCommit(WorkflowRun run, List<PendingDispatch> dispatches, IReadOnlyList<TaskRun> changed)
    {
        waiters.OnCommitted(run);
        if (run.Status != WorkflowStatus.Running) return;
        foreach (var task in run.Tasks)
        {
            if (task.Status == TaskStatus.Scheduled && WorkflowDecider.IsWorkerTask(task))
            {
                queue.Offer(task.TaskType, new QueuedTask(task.TaskId, run.WorkflowId), task.VisibleAfter());
            }
        }
        if (cluster.IsShared) OfferToOtherNodes(run, changed);
        foreach (var dispatch in dispatches) Dispatch(run.WorkflowId, dispatch.Task, dispatch.Plan, dispatch.Handler);
        if (Owns(run) && decider.NextWakeAt(run, Clock.NowMs()) is { } wake) timers.Schedule(run.WorkflowId, wake);
    }

    private void OfferToOtherNodes(WorkflowRun run, IReadOnlyList<TaskRun> changed)
    {
        foreach (var byType in changed.Where(t => t.Status == TaskStatus.Scheduled && WorkflowDecider.IsWorkerTask(t)).GroupBy(t => t.TaskType, StringComparer.Ordinal))
        {
            PublishOffers(byType.Key, byType.Select(t => new Cluster.OfferedTask(t.TaskId, run.WorkflowId, t.VisibleAfter())));
        }
    }

    private void PublishOffers(string taskType, IEnumerable<Cluster.OfferedTask> tasks) =>
        cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.TasksOffered, TaskType = taskType, Tasks = [.. tasks] });

    // ---- several nodes ---------------------------------------------------------------------------------------

    /// <summary>
    /// What another node tells this one (see <see cref="Cluster.IClusterBus"/>): a run of this node's changed there
    /// (read it again: hand out its system tasks, arm its timer, wake callers waiting on it), worker tasks to queue or
    /// drop, a node that wants this one's queued tasks. Called on the bus's thread: anything that reads the store runs apart.
    /// </summary>
    public void OnClusterMessage(Cluster.ClusterMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.Kind)
        {
            case Cluster.ClusterMessage.RunChanged when message.Target == cluster.NodeId && message.WorkflowId is { Length: > 0 } id:
                _ = Task.Run(() => ReadAgainAsync(id));
                break;
            case Cluster.ClusterMessage.TasksOffered when message.TaskType is { Length: > 0 } type && message.Tasks is { } tasks:
                foreach (var task in tasks) queue.Offer(type, new QueuedTask(task.TaskId, task.WorkflowId), task.VisibleAt);
                break;
            case Cluster.ClusterMessage.TaskTaken when message.TaskType is { Length: > 0 } type && message.TaskId is { Length: > 0 } taskId:
                queue.Remove(type, taskId);
                break;
            case Cluster.ClusterMessage.Hello:
                foreach (var (type, tasks) in queue.Snapshot())
                {
                    PublishOffers(type, tasks.Select(t => new Cluster.OfferedTask(t.Task.TaskId, t.Task.WorkflowId, t.VisibleAt)));
                }
                break;
            case Cluster.ClusterMessage.RunEnded when message.WorkflowId is { Length: > 0 } ended:
                ForgetRunSecrets(ended);
                break;
            case Cluster.ClusterMessage.Resync:
                // Messages may have been missed: every run kept here is read again, and the others resend their queues.
                foreach (var owned in _active.Keys) _ = Task.Run(() => ReadAgainAsync(owned));
                cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.Hello });
                break;
        }
    }

    /// <summary>Drops every run kept in memory: this node's runs may have gone to others (it was taken for gone).</summary>
    public void ForgetCachedRuns() => _active.Clear();

    /// <summary>Reads a run again from the store and hands out what it asks for (another node changed it).</summary>
    private async Task ReadAgainAsync(string workflowId)
    {
        try
        {
            // No lock needed: a change that commits meanwhile leaves the copy it wrote, which is then the latest.
            _active.TryRemove(workflowId, out _);
            await DecideAsync(workflowId, _stopping.Token);
        }
        catch (NotFoundException)
        {
            // Removed meanwhile.
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not read workflow {WorkflowId} again after another node changed it", workflowId);
        }
    }

    private void Dispatch(string workflowId, TaskRun task, HandOffPlan plan, ISystemTask handler)
    {
        _ = Task.Run(async () =>
        {
            var token = _stopping.Token;
            await _systemTaskSlots.WaitAsync(token);
            try
            {
                var started = Clock.NowMs();
                TaskOutcome outcome;
                var ranWithSecrets = false;
                try
                {
                    var handed = await handOff.ResolveAsync(task, plan, token);
                    ranWithSecrets = plan.SealOutput;
                    outcome = await handler.ExecuteAsync(new SystemTaskContext(task, handed, plan.Principal), token);
                }
                catch (SecretResolutionException e)
                {
                    outcome = TaskOutcome.Failed($"{task.TaskType} task '{task.ReferenceTaskName}': {e.Message}");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "System task {TaskType} {TaskId} failed unexpectedly", task.TaskType, task.TaskId);
                    outcome = TaskOutcome.Failed($"{task.TaskType} task '{task.ReferenceTaskName}' failed inside the server; see the server log");
                }
                if (ranWithSecrets && outcome.Reason is not null && outcome.Status != TaskStatus.Completed)
                {
                    // A script that handled secret material may have put any form of it in its error: derived, so withheld.
                    outcome = outcome with { Reason = $"{task.TaskType} task '{task.ReferenceTaskName}' failed; its error is withheld because its input held secret material" };
                }
                if (outcome.Logs is { Count: > 0 } logs)
                {
                    // Written before the outcome's commit, which may end the run and let its derived values leave the redactor.
                    var at = Clock.NowMs();
                    await store.AddTaskLogsAsync([.. logs.Select(l => new TaskExecLog { TaskId = task.TaskId, Log = redactor.Redact(l), CreatedTime = at })], token);
                }
                await MutateAsync(workflowId, (run, now) =>
                {
                    var current = run.FindTask(task.TaskId);
                    if (current is null || current.Status.IsTerminal()) return false;
                    if (plan.SealOutput && outcome.Output.Count > 0) outcome = Quarantine(run.WorkflowId, task.TaskId, outcome, current, plan);
                    WorkflowDecider.Finish(current, outcome, now);
                    current.StartTime = started;
                    run.UpdateTime = now;
                    if (outcome.RedactWholeRun)
                    {
                        // Rewrite every task of the run: the redactor now knows a value an earlier output may hold.
                        foreach (var other in run.Tasks) other.UpdateTime = now;
                    }
                    return true;
                }, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Shutting down: the task stays SCHEDULED and runs again after the restart.
            }
            catch (NotFoundException)
            {
                // The run was removed meanwhile.
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not record the result of system task {TaskId}", task.TaskId);
            }
            finally
            {
                _systemTaskSlots.Release();
                _inFlight.TryRemove(task.TaskId, out _);
            }
        });
    }

    /// <summary>
    /// Seals a script's output whose input held secret material: the task keeps the ciphertext and shows ***,
    /// and the output's strings join the redactor while the run is active.
    /// </summary>
    private TaskOutcome Quarantine(string workflowId, string taskId, TaskOutcome outcome, TaskRun task, HandOffPlan plan)
    {
        task.SealedOutput = vault.Seal(workflowId, taskId, System.Text.Encoding.UTF8.GetBytes(outcome.Output.ToJsonString()));
        task.SealedFrom = [.. plan.SecretNames];
        _sealedKnown.GetOrAdd(workflowId, _ => new(StringComparer.Ordinal)).TryAdd(task.SealedOutput, 0);
        vault.AddDerivedValues(workflowId, SealedStrings(outcome.Output));
        return outcome with { Output = (JsonObject)Masked(outcome.Output)! };

        static JsonNode? Masked(JsonNode? node) => node switch
        {
            JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Masked(p.Value)))),
            JsonArray array => new JsonArray([.. array.Select(Masked)]),
            null => null,
            _ => JsonValue.Create(SecretRedactor.Mask),
        };
    }

    /// <summary>Every leaf of a quarantined output as text: what the redactor must mask while its run is active.</summary>
    private static IEnumerable<string> SealedStrings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => SealedStrings(p.Value)),
        JsonArray array => array.SelectMany(SealedStrings),
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String => [value.GetValue<string>()],
        JsonValue value => [value.ToJsonString()],
        _ => [],
    };

    /// <summary>
    /// The quarantined outputs whose strings this node's redactor holds, by run, each by its ciphertext (a task run
    /// again is sealed anew, under a fresh nonce): each is unsealed once per node.
    /// </summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _sealedKnown = new(StringComparer.Ordinal);

    /// <summary>
    /// Gives this node's redactor the strings of the run's quarantined outputs that it does not hold yet. The node that
    /// ran the script gave them at once; after a restart, or on another node changing the run (a worker reporting
    /// there), an echo of them must be masked just the same before anything of the run is stored.
    /// </summary>
    private void RememberSealed(WorkflowRun run)
    {
        if (!run.Tasks.Exists(t => t.SealedOutput is not null)) return;
        var known = _sealedKnown.GetOrAdd(run.WorkflowId, _ => new(StringComparer.Ordinal));
        foreach (var task in run.Tasks)
        {
            if (task.SealedOutput is not { } sealedOutput || !known.TryAdd(sealedOutput, 0)) continue;
            try
            {
                vault.AddDerivedValues(run.WorkflowId, SealedStrings(JsonNode.Parse(vault.Unseal(run.WorkflowId, task.TaskId, sealedOutput))));
            }
            catch (Exception e) when (e is SecretResolutionException or System.Text.Json.JsonException)
            {
                // The reason names the task and the cipher's complaint, never content.
                logger.LogError("The quarantined output of task {TaskId} of workflow {WorkflowId} cannot be read: {Reason}", task.TaskId, run.WorkflowId, e.GetType().Name);
            }
        }
    }

    /// <summary>The run ended: its quarantined outputs' strings leave the redactor here and, when it had any, on every node.</summary>
    private void RunEnded(WorkflowRun run)
    {
        if (!ForgetRunSecrets(run.WorkflowId) && !run.Tasks.Exists(t => t.SealedOutput is not null)) return;
        cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.RunEnded, WorkflowId = run.WorkflowId });
    }

    /// <summary>Lets what this node holds of an ended run's secrets go (pins, derived strings); true when it held sealed outputs' strings.</summary>
    private bool ForgetRunSecrets(string workflowId)
    {
        vault.RunEnded(workflowId);
        return _sealedKnown.TryRemove(workflowId, out _);
    }

    private async Task EndChildAsync(string childId, WorkflowRun parent)
    {
        try
        {
            await TerminateAsync(childId, $"Parent workflow {parent.WorkflowId} ended {parent.Status.WireName()}", _stopping.Token);
        }
        catch (Exception e) when (e is ConflictException or NotFoundException or OperationCanceledException)
        {
            // It had ended already, or was removed.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not end child workflow {ChildId} of {ParentId}", childId, parent.WorkflowId);
        }
    }

    private static NotFoundException WorkflowNotFound(string workflowId) => new($"No workflow with id '{workflowId}'");

    public void Stop() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        _systemTaskSlots.Dispose();
    }
}

/// <summary>Who reports a task's result: the caller, and whether it may report any task (an administrator).</summary>
public sealed record TaskReporter(string Principal, bool MayReportAny);

/// <summary>What a SUB_WORKFLOW task asks the executor to start.</summary>
/// <param name="Input">The task's input as stored (references and masks, never a resolved value).</param>
/// <param name="Principal">The parent run's principal: the child runs as it.</param>
public sealed record ChildStart(string ChildId, string ParentWorkflowId, string ParentTaskId, SubWorkflowParams Param, JsonObject Input, string? CorrelationId, string? Principal);
