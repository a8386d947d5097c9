using System.Text.Json.Nodes;
using Baton.Core.Definitions;

namespace Baton.Core.Runs;

/// <summary>Body of POST /api/workflow (Conductor's StartWorkflowRequest).</summary>
public sealed class StartWorkflowRequest
{
    public string? Name { get; set; }
    public int? Version { get; set; }
    public string? CorrelationId { get; set; }
    public JsonObject? Input { get; set; }
    public Dictionary<string, string>? TaskToDomain { get; set; }
    public WorkflowDef? WorkflowDef { get; set; }
    public int Priority { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? IdempotencyStrategy { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>Body of POST /api/tasks (Conductor's TaskResult).</summary>
public sealed class TaskResult
{
    public string? WorkflowInstanceId { get; set; }
    public string? TaskId { get; set; }
    public string? Status { get; set; }
    public JsonObject? OutputData { get; set; }
    public string? ReasonForIncompletion { get; set; }
    public long CallbackAfterSeconds { get; set; }
    public string? WorkerId { get; set; }
    public List<TaskExecLog>? Logs { get; set; }
}

/// <summary>A line a worker attached to a task.</summary>
public sealed class TaskExecLog
{
    public string? Log { get; set; }
    public string? TaskId { get; set; }
    public long CreatedTime { get; set; }
}

/// <summary>Who last polled a task type, and when.</summary>
public sealed class PollData
{
    public string QueueName { get; set; } = "";
    public string? Domain { get; set; }
    public string? WorkerId { get; set; }
    public long LastPollTime { get; set; }
}

/// <summary>GET /api/workflow/{id}/status.</summary>
public sealed class WorkflowStatusView
{
    public string WorkflowId { get; set; } = "";
    public string? CorrelationId { get; set; }
    public JsonObject? Output { get; set; }
    public JsonObject? Variables { get; set; }
    public WorkflowStatus Status { get; set; }
}

/// <summary>A page of search results.</summary>
public sealed class SearchResult<T>
{
    public long TotalHits { get; set; }
    public List<T> Results { get; set; } = [];
}

/// <summary>One row of a workflow search (Conductor's WorkflowSummary).</summary>
public sealed class WorkflowSummary
{
    public string WorkflowType { get; set; } = "";
    public int Version { get; set; }
    public string WorkflowId { get; set; } = "";
    public string? CorrelationId { get; set; }
    public string? StartTime { get; set; }
    public string? UpdateTime { get; set; }
    public string? EndTime { get; set; }
    public WorkflowStatus Status { get; set; }
    public string? Input { get; set; }
    public string? Output { get; set; }
    public string? ReasonForIncompletion { get; set; }
    public long ExecutionTime { get; set; }
    public string? FailedReferenceTaskNames { get; set; }
    public int Priority { get; set; }
    public string? CreatedBy { get; set; }
}
