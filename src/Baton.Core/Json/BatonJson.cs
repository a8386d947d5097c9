using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Definitions;
using Baton.Core.Runs;

namespace Baton.Core.Json;

/// <summary>The JSON conventions of the wire format: camelCase, nulls omitted from objects, enums by name.</summary>
public static class BatonJson
{
    public static JsonSerializerOptions Options => BatonJsonContext.Default.Options;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, typeof(T), BatonJsonContext.Default);

    public static T? Deserialize<T>(string json) => (T?)JsonSerializer.Deserialize(json, typeof(T), BatonJsonContext.Default);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(WorkflowDef))]
[JsonSerializable(typeof(List<WorkflowDef>))]
[JsonSerializable(typeof(TaskDef))]
[JsonSerializable(typeof(List<TaskDef>))]
[JsonSerializable(typeof(WorkflowRun))]
[JsonSerializable(typeof(TaskRun))]
[JsonSerializable(typeof(List<TaskRun>))]
[JsonSerializable(typeof(StartWorkflowRequest))]
[JsonSerializable(typeof(TaskResult))]
[JsonSerializable(typeof(TaskExecLog))]
[JsonSerializable(typeof(List<TaskExecLog>))]
[JsonSerializable(typeof(PollData))]
[JsonSerializable(typeof(List<PollData>))]
[JsonSerializable(typeof(WorkflowStatusView))]
[JsonSerializable(typeof(SearchResult<WorkflowSummary>))]
[JsonSerializable(typeof(SearchResult<WorkflowRun>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
public sealed partial class BatonJsonContext : JsonSerializerContext;
