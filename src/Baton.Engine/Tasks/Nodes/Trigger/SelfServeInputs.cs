using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;
using Baton.Engine.Execution;

namespace Baton.Engine.Tasks.Nodes.Trigger;

/// <summary>
/// A SELF_SERVE_TRIGGER's form, checked when a run is started: each input against its declared <c>type</c> and
/// <c>enum</c>, every <c>required</c> one present, <c>default</c>s filled in. Every problem names its path under
/// <c>$.inputs</c>; inputs the form does not declare are refused too, so a run's data is what its form says.
/// </summary>
public static class SelfServeInputs
{
    /// <summary>The form's data with defaults applied, or the problems (each with its path).</summary>
    public static JsonObject Check(WorkflowTask trigger, JsonObject? inputs, List<ValidationProblem> problems, string at = "$.inputs")
    {
        var data = inputs is null ? [] : (JsonObject)inputs.DeepClone();
        var form = NodeWiring.Config(trigger)["userInputs"] as JsonObject;
        var properties = form?["properties"] as JsonObject ?? [];
        foreach (var (name, _) in data)
        {
            if (!properties.ContainsKey(name)) problems.Add(new($"{at}.{name}", $"trigger '{trigger.TaskReferenceName}' has no input '{name}'"));
        }
        foreach (var (name, declaration) in properties)
        {
            if (declaration is not JsonObject spec) continue;
            // A default computed by jq from the form ({"jqQuery": ...}) is the console's business, not the run's.
            if (data[name] is null && spec["default"] is { } fallback && !(fallback is JsonObject computed && computed.ContainsKey("jqQuery")))
            {
                data[name] = fallback.DeepClone();
            }
            if (data[name] is not { } value) continue;
            var type = spec["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
            if (type is not null && !OfType(value, type))
            {
                problems.Add(new($"{at}.{name}", $"input '{name}' must be of type {type} (got {Kind(value)})"));
                continue;
            }
            if (spec["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            {
                problems.Add(new($"{at}.{name}", $"input '{name}' must be one of {allowed.ToJsonString()}"));
            }
        }
        if (form?["required"] is JsonArray required)
        {
            foreach (var item in required)
            {
                if (item is JsonValue n && n.GetValueKind() == JsonValueKind.String && data[n.GetValue<string>()] is null)
                {
                    problems.Add(new($"{at}.{n.GetValue<string>()}", $"input '{n.GetValue<string>()}' is required"));
                }
            }
        }
        return data;
    }

    /// <summary>
    /// A node workflow's run input, however the run was started (the node API, Conductor's start, a schedule, an event,
    /// a SUB_WORKFLOW or START_WORKFLOW): <c>{trigger, data}</c> where <c>trigger</c> names one of its triggers, and the
    /// data of a SELF_SERVE_TRIGGER passes its form, so no way in skips the form. Answers the input with the form's
    /// defaults filled in, or throws a 400 naming every problem under <c>$.input</c>.
    /// </summary>
    public static JsonObject CheckStart(WorkflowDef def, JsonObject input)
    {
        var problems = new List<ValidationProblem>();
        foreach (var (key, _) in input)
        {
            // The scheduler's own fields (_scheduledTime, _executionId...) ride beside them.
            if (key is not ("trigger" or "data") && !key.StartsWith('_')) problems.Add(new($"$.input.{key}", "a node workflow's run input is {trigger, data}; start it with POST /v1/workflows/{identifier}/runs"));
        }
        var name = input["trigger"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        var trigger = def.Tasks.FirstOrDefault(task => task.Type == NodeTypes.Trigger && task.TaskReferenceName == name);
        if (trigger is null) problems.Add(new("$.input.trigger", $"node workflow '{def.Name}' has no trigger '{name}'"));
        if (input["data"] is { } given && given is not JsonObject) problems.Add(new("$.input.data", "data must be an object"));
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        if (NodeWiring.ConfigText(trigger!, "type") != "SELF_SERVE_TRIGGER") return input;
        var data = Check(trigger!, input["data"] as JsonObject, problems, "$.input.data");
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        input["data"] = data;
        return input;
    }

    private static bool OfType(JsonNode value, string type) => type switch
    {
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        _ => true,
    };

    private static string Kind(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };
}
