using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Baton.Core.Definitions;

/// <summary>A Conductor task definition: retry, timeout and rate settings shared by every use of a task name.</summary>
public sealed class TaskDef
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public int RetryCount { get; set; } = 3;
    /// <summary>FIXED (default), EXPONENTIAL_BACKOFF or LINEAR_BACKOFF.</summary>
    public string? RetryLogic { get; set; }
    public int RetryDelaySeconds { get; set; } = 60;
    public int MaxRetryDelaySeconds { get; set; }
    public int BackoffScaleFactor { get; set; } = 1;
    public long TimeoutSeconds { get; set; }
    /// <summary>RETRY, TIME_OUT_WF (default) or ALERT_ONLY.</summary>
    public string? TimeoutPolicy { get; set; }
    public long ResponseTimeoutSeconds { get; set; } = 3600;
    public long PollTimeoutSeconds { get; set; }
    public long TotalTimeoutSeconds { get; set; }
    /// <summary>
    /// Names of secrets (or, failing that, environment values) a worker of this type gets at poll time in the task's
    /// <c>runtimeMetadata</c> (Conductor's newer feature), never in its stored input. A secret flows only under the
    /// hand-off's rules: the run's principal and the polling worker may use it, and this definition's author may read it.
    /// </summary>
    public List<string>? RuntimeMetadata { get; set; }
    public List<string>? InputKeys { get; set; }
    public List<string>? OutputKeys { get; set; }
    public JsonObject? InputTemplate { get; set; }
    public int ConcurrentExecLimit { get; set; }
    public int RateLimitPerFrequency { get; set; }
    public int RateLimitFrequencyInSeconds { get; set; }
    public string? OwnerEmail { get; set; }
    public long? CreateTime { get; set; }
    public long? UpdateTime { get; set; }
    public string? CreatedBy { get; set; }
    public string? UpdatedBy { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The definition a task without a registered one runs with (Conductor's defaults).</summary>
    public static TaskDef DefaultFor(string name) => new() { Name = name };
}
