using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Storage.Compliance;

/// <summary>Runs and tasks with every field set to something a careless store could lose.</summary>
internal static class Samples
{
    /// <summary>An epoch-ms instant tests count from.</summary>
    public const long T0 = 1_700_000_000_000;

    public static WorkflowRun Run(string id, string name = "order_flow", int version = 1, WorkflowStatus status = WorkflowStatus.Running, long startTime = T0) => new()
    {
        WorkflowId = id,
        WorkflowName = name,
        WorkflowVersion = version,
        Status = status,
        Input = new JsonObject
        {
            ["customer"] = new JsonObject { ["name"] = "Zoë Łukasiewicz 東京 🎻", ["vip"] = true, ["nickname"] = null },
            ["items"] = new JsonArray(1, 2.5, "three", null, new JsonObject { ["deep"] = new JsonArray() }),
            ["bigInteger"] = JsonNode.Parse("9007199254740993"),
            ["bigDecimal"] = JsonNode.Parse("123456789012345678901234567890.000000000000000001"),
            ["maxLong"] = long.MaxValue,
            ["id"] = id,
        },
        Output = new JsonObject { ["result"] = new JsonObject { ["ok"] = false, ["why"] = null } },
        Variables = new JsonObject { ["counter"] = 42, ["empty"] = new JsonObject() },
        CorrelationId = "corr-" + id,
        ReasonForIncompletion = "line one\nline \"two\" \\ done",
        Priority = 7,
        CreateTime = startTime - 5,
        StartTime = startTime,
        EndTime = status.IsTerminal() ? startTime + 1000 : 0,
        UpdateTime = startTime + 10,
        LastRetriedTime = startTime + 20,
        FailedReferenceTaskNames = ["ref_a"],
        FailedTaskNames = ["task_a"],
        CreatedBy = "tester",
        ParentWorkflowId = "parent-1",
        ParentWorkflowTaskId = "parent-task-1",
        TaskToDomain = new Dictionary<string, string> { ["task_a"] = "blue" },
        IdempotencyKey = "idem-" + id,
        Event = "some_event",
        WorkflowDefinition = new WorkflowDef
        {
            Name = name,
            Version = version,
            Tasks = [new WorkflowTask { Name = "task_a", TaskReferenceName = "ref_a" }],
        },
    };

    public static TaskRun Task(WorkflowRun run, string taskId, int seq, TaskStatus status = TaskStatus.Scheduled) => new()
    {
        TaskId = taskId,
        TaskType = TaskTypes.Simple,
        Status = status,
        ReferenceTaskName = "ref_" + seq,
        TaskDefName = "task_" + seq,
        WorkflowInstanceId = run.WorkflowId,
        WorkflowType = run.WorkflowName,
        WorkflowPriority = run.Priority,
        CorrelationId = run.CorrelationId,
        InputData = new JsonObject { ["n"] = seq, ["nested"] = new JsonObject { ["text"] = "ünïcödé ✓", ["nothing"] = null } },
        OutputData = new JsonObject { ["big"] = JsonNode.Parse("18446744073709551615") },
        Seq = seq,
        RetryCount = 1,
        RetriedTaskId = "retried-" + taskId,
        Retried = false,
        Executed = true,
        PollCount = 3,
        ScheduledTime = T0 + seq,
        StartTime = T0 + seq + 1,
        EndTime = 0,
        UpdateTime = T0 + seq + 2,
        CallbackAfterSeconds = 5,
        ResponseTimeoutSeconds = 600,
        WorkerId = "worker-1",
        Domain = "blue",
        ReasonForIncompletion = null,
        Iteration = 2,
        WorkflowTask = new WorkflowTask { Name = "task_" + seq, TaskReferenceName = "ref_" + seq },
    };
}
