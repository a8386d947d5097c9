using System.Text.Json.Nodes;
using Baton.Core.Definitions;

namespace Baton.Core.Runs;

/// <summary>One attempt of one task in a run (Conductor's "Task" JSON).</summary>
public sealed class TaskRun
{
    public string TaskId { get; set; } = "";
    public string TaskType { get; set; } = "";
    public TaskStatus Status { get; set; } = TaskStatus.Scheduled;
    public string ReferenceTaskName { get; set; } = "";
    public string TaskDefName { get; set; } = "";
    public string WorkflowInstanceId { get; set; } = "";
    public string WorkflowType { get; set; } = "";
    public int WorkflowPriority { get; set; }
    public string? CorrelationId { get; set; }
    public JsonObject InputData { get; set; } = [];
    public JsonObject OutputData { get; set; } = [];
    public int Seq { get; set; }
    public int RetryCount { get; set; }
    public string? RetriedTaskId { get; set; }
    public bool Retried { get; set; }
    public bool Executed { get; set; }
    public int PollCount { get; set; }
    public long ScheduledTime { get; set; }

    /// <summary>When the first attempt of this task was scheduled: a task definition's totalTimeoutSeconds runs from here across every retry.</summary>
    public long FirstScheduledTime { get; set; }
    public long StartTime { get; set; }
    public long EndTime { get; set; }
    public long UpdateTime { get; set; }
    public long CallbackAfterSeconds { get; set; }
    public long ResponseTimeoutSeconds { get; set; }
    public string? WorkerId { get; set; }
    /// <summary>
    /// The principal whose poll took the task (a user's id, or <c>app:&lt;id&gt;</c>): only it, or an administrator,
    /// may report its result. Unlike <see cref="WorkerId"/>, which the worker names itself, the server sets it.
    /// </summary>
    public string? WorkerPrincipal { get; set; }
    public string? Domain { get; set; }
    public string? ReasonForIncompletion { get; set; }
    public int Iteration { get; set; }

    /// <summary>
    /// The values a worker gets at poll time for its task definition's declared <c>runtimeMetadata</c> names: only in a
    /// poll answer, never stored (null everywhere else, and then left out of the JSON).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? RuntimeMetadata { get; set; }

    /// <summary>The run a SUB_WORKFLOW task started.</summary>
    public string? SubWorkflowId { get; set; }

    /// <summary>When a WAIT task with a duration or an end time completes (Unix ms; 0 when it waits to be completed from outside).</summary>
    public long WaitTimeout { get; set; }
    public WorkflowTask? WorkflowTask { get; set; }

    /// <summary>A node run's links (Port): URLs rendered from the node's <c>links</c> templates when it completed, or sent by its callback.</summary>
    public List<string>? Links { get; set; }

    /// <summary>A node run's identifier in the system that ran it, as its callback reported it (Port's <c>externalRunId</c>).</summary>
    public string? ExternalRunId { get; set; }

    /// <summary>
    /// A quarantined output: a script whose input held a secret produced it, so it may hold a form of the secret
    /// the redactor cannot recognise. Encrypted (base64 ciphertext); <see cref="OutputData"/> shows *** instead,
    /// and later tasks get the real values only at their hand-off.
    /// </summary>
    public string? SealedOutput { get; set; }

    /// <summary>
    /// The secrets <see cref="SealedOutput"/> was computed from (names only): a later task that reads it gets a form
    /// of them, so its hand-off is held to the same rights as one that names them (a worker must hold READ or EXECUTE
    /// on each). Null on outputs sealed before it was recorded.
    /// </summary>
    public List<string>? SealedFrom { get; set; }

    /// <summary>A deep copy, safe to hand out while the engine goes on changing the original.</summary>
    public TaskRun Snapshot() => Json.BatonJson.Deserialize<TaskRun>(Json.BatonJson.Serialize(this))!;

    /// <summary>When a SCHEDULED task may be handed out (retry delay, callbackAfterSeconds); epoch ms.</summary>
    public long VisibleAfter() => Math.Max(ScheduledTime, UpdateTime) + (CallbackAfterSeconds * 1000);
}
