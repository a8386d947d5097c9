using System.Text.Json.Nodes;

namespace Baton.EndToEnd.Infrastructure;

/// <summary>Small builders for definitions, so each test shows only what matters to it.</summary>
public static class Defs
{
    public static string Unique(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..10]}";

    public static JsonObject Workflow(string name, params JsonObject[] tasks) => new()
    {
        ["name"] = name,
        ["version"] = 1,
        ["schemaVersion"] = 2,
        ["tasks"] = new JsonArray([.. tasks]),
    };

    public static JsonObject Simple(string name, string? reference = null, JsonObject? input = null) => new()
    {
        ["name"] = name,
        ["taskReferenceName"] = reference ?? name,
        ["type"] = "SIMPLE",
        ["inputParameters"] = input ?? new JsonObject(),
    };

    public static JsonObject Http(string reference, string uri, string method = "GET", JsonNode? body = null, JsonObject? headers = null) => new()
    {
        ["name"] = reference,
        ["taskReferenceName"] = reference,
        ["type"] = "HTTP",
        ["inputParameters"] = new JsonObject
        {
            ["http_request"] = new JsonObject
            {
                ["uri"] = uri,
                ["method"] = method,
                ["body"] = body,
                ["headers"] = headers ?? new JsonObject(),
            },
        },
    };

    public static JsonObject Inline(string reference, string expression, JsonObject? input = null)
    {
        var parameters = input ?? new JsonObject();
        parameters["evaluatorType"] = "javascript";
        parameters["expression"] = expression;
        return new JsonObject { ["name"] = reference, ["taskReferenceName"] = reference, ["type"] = "INLINE", ["inputParameters"] = parameters };
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
