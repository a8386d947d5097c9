using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Definitions;
using Baton.Core.Runs;

namespace Baton.Core.Json;

/// <summary>The JSON conventions of the wire format: camelCase, nulls omitted from objects, enums by name.</summary>
public static class BatonJson
{
    /// <summary>The serializer context every component uses: readable text (no needless \u escapes), camelCase,
    /// nulls left out of objects (never out of maps), property names matched without regard to case.</summary>
    public static BatonJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Request bodies nest at most 64 levels (the server checks them before this reads them), but what is stored
        // nests values inside templates inside a run's document: room for that, within a depth no recursion minds.
        MaxDepth = MaxStoredDepth,
    });

    /// <summary>How deep stored JSON may nest; a task whose evaluated input would go deeper fails instead (the decider checks).</summary>
    public const int MaxStoredDepth = 256;

    public static JsonSerializerOptions Options => Context.Options;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, typeof(T), Context);

    public static T? Deserialize<T>(string json) => (T?)JsonSerializer.Deserialize(json, typeof(T), Context);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(WorkflowDef))]
[JsonSerializable(typeof(List<WorkflowDef>))]
[JsonSerializable(typeof(IReadOnlyList<WorkflowDef>))]
[JsonSerializable(typeof(TaskDef))]
[JsonSerializable(typeof(WorkflowTask))]
[JsonSerializable(typeof(List<TaskDef>))]
[JsonSerializable(typeof(IReadOnlyList<TaskDef>))]
[JsonSerializable(typeof(WorkflowRun))]
[JsonSerializable(typeof(TaskRun))]
[JsonSerializable(typeof(List<WorkflowRun>))]
[JsonSerializable(typeof(List<TaskRun>))]
[JsonSerializable(typeof(StartWorkflowRequest))]
[JsonSerializable(typeof(TaskResult))]
[JsonSerializable(typeof(TaskExecLog))]
[JsonSerializable(typeof(List<TaskExecLog>))]
[JsonSerializable(typeof(IReadOnlyList<TaskExecLog>))]
[JsonSerializable(typeof(IReadOnlyList<TaskRun>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<PollData>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, int>))]
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonArray))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(PollData))]
[JsonSerializable(typeof(List<PollData>))]
[JsonSerializable(typeof(WorkflowStatusView))]
[JsonSerializable(typeof(SearchResult<WorkflowSummary>))]
[JsonSerializable(typeof(SearchResult<WorkflowRun>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, long>))]
public sealed partial class BatonJsonContext : JsonSerializerContext;
