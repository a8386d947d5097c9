using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Baton.Core.Definitions;

/// <summary>A Conductor workflow definition, stored exactly as written (unknown fields round-trip).</summary>
public sealed class WorkflowDef
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public int Version { get; set; } = 1;
    public List<WorkflowTask> Tasks { get; set; } = [];
    public List<string>? InputParameters { get; set; }
    public JsonObject? OutputParameters { get; set; }
    public JsonObject? InputTemplate { get; set; }
    public JsonObject? Variables { get; set; }
    public string? FailureWorkflow { get; set; }
    public int SchemaVersion { get; set; } = 2;
    public bool Restartable { get; set; } = true;
    public bool WorkflowStatusListenerEnabled { get; set; }
    public string? OwnerEmail { get; set; }
    public string? OwnerApp { get; set; }
    /// <summary>TIME_OUT_WF (default) or ALERT_ONLY.</summary>
    public string? TimeoutPolicy { get; set; }
    public long TimeoutSeconds { get; set; }
    public long? CreateTime { get; set; }
    public long? UpdateTime { get; set; }
    public string? CreatedBy { get; set; }
    public string? UpdatedBy { get; set; }
    /// <summary>
    /// Port's name: when false, runs of this definition are visible only to their starter, admins and principals
    /// with an explicit grant on the definition. Unset means true.
    /// </summary>
    public bool? AllowAnyoneToViewRuns { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>Every task of the definition, nested ones included, in document order.</summary>
    public IEnumerable<WorkflowTask> AllTasks() => WorkflowTask.Flatten(Tasks);
}
