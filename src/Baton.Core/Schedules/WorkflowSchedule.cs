using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Runs;

namespace Baton.Core.Schedules;

/// <summary>
/// A workflow schedule as Orkes shapes it (<c>/api/scheduler/schedules</c>): a cron expression in a time zone that
/// starts <see cref="StartWorkflowRequest"/> at each due time. The same class is the save request (the server
/// stamps the times and <see cref="CreatedBy"/>/<see cref="UpdatedBy"/>, never the request) and the stored document.
/// </summary>
public sealed class WorkflowSchedule
{
    public string? Name { get; set; }
    public string? CronExpression { get; set; }
    /// <summary>An IANA time zone the cron expression is read in; UTC when absent.</summary>
    public string? ZoneId { get; set; }
    public StartWorkflowRequest? StartWorkflowRequest { get; set; }
    public bool Paused { get; set; }
    public string? PausedReason { get; set; }
    /// <summary>After downtime: true starts one run per missed time (at most <c>MaxCatchUp</c>); false one for the latest.</summary>
    public bool RunCatchupScheduleInstances { get; set; }
    /// <summary>Epoch ms: no run is due before it. Absent or 0: no bound.</summary>
    public long? ScheduleStartTime { get; set; }
    /// <summary>Epoch ms: no run is due after it. Absent or 0: no bound.</summary>
    public long? ScheduleEndTime { get; set; }
    public string? Description { get; set; }
    public long? CreateTime { get; set; }
    public long? UpdatedTime { get; set; }
    public string? CreatedBy { get; set; }
    /// <summary>Who last saved it: the schedule's owner, whose rights its runs act with.</summary>
    public string? UpdatedBy { get; set; }
    /// <summary>Epoch ms of the next due time, or null when there is none (paused, or past its end).</summary>
    public long? NextRunTime { get; set; }
    /// <summary>Orkes answers tags on schedules; Baton keeps none yet and answers an empty list.</summary>
    public List<JsonElement>? Tags { get; set; }
}

/// <summary>One fire of a schedule (Orkes' <c>WorkflowScheduleExecutionModel</c>).</summary>
public sealed class ScheduleExecution
{
    public string ExecutionId { get; set; } = "";
    public string ScheduleName { get; set; } = "";
    /// <summary>The due time this fire is for (epoch ms): one fire per schedule and due time.</summary>
    public long ScheduledTime { get; set; }
    /// <summary>When the fire was recorded, then when its run was started (epoch ms).</summary>
    public long ExecutionTime { get; set; }
    public string? WorkflowName { get; set; }
    public string? WorkflowId { get; set; }
    public string? Reason { get; set; }
    public string? StackTrace { get; set; }
    public StartWorkflowRequest? StartWorkflowRequest { get; set; }
    /// <summary><see cref="ScheduleExecutionStates"/>.</summary>
    public string State { get; set; } = ScheduleExecutionStates.Polled;
    public string ZoneId { get; set; } = "UTC";
}

/// <summary>The states of a fire, as Orkes names them.</summary>
public static class ScheduleExecutionStates
{
    /// <summary>Recorded, its run not started yet (or the server stopped in between: recovery finishes it).</summary>
    public const string Polled = "POLLED";
    public const string Executed = "EXECUTED";
    public const string Failed = "FAILED";
}

/// <summary>Orkes' <c>SearchResultWorkflowScheduleExecutionModel</c>.</summary>
public sealed record ScheduleExecutionPage(long TotalHits, IReadOnlyList<ScheduleExecution> Results);

/// <summary>The JSON of schedules: the same conventions as <c>BatonJson</c>, in a context of its own.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(WorkflowSchedule))]
[JsonSerializable(typeof(List<WorkflowSchedule>))]
[JsonSerializable(typeof(ScheduleExecution))]
[JsonSerializable(typeof(ScheduleExecutionPage))]
[JsonSerializable(typeof(List<long>))]
public sealed partial class ScheduleJsonContext : JsonSerializerContext
{
    /// <summary>Readable text, camelCase, nulls left out, names matched without regard to case (as <c>BatonJson.Context</c>).</summary>
    public static ScheduleJsonContext Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = Json.BatonJson.MaxStoredDepth,
    });
}
