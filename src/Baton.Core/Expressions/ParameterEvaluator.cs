using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>
/// Evaluates Conductor <c>${...}</c> expressions in input templates, as Conductor's ParametersUtils does (with
/// Jayway JsonPath and SUPPRESS_EXCEPTIONS), except that it never reads the server's environment and it leaves
/// secret references (<c>${workflow.secrets.x}</c>) as literal text.
/// </summary>
public static class ParameterEvaluator
{
    /// <summary>
    /// Evaluates every <c>${...}</c> in a JSON template (recursively through objects, arrays and strings).
    /// Returns a new tree that shares no node with the template or the scope.
    /// </summary>
    public static JsonNode? Evaluate(JsonNode? template, IExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return EvaluateNode(template, scope);
    }

    /// <summary>Same, for an input-parameters object; a null template gives an empty object.</summary>
    public static JsonObject EvaluateObject(JsonObject? template, IExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return template is null ? [] : EvaluateObjectCore(template, scope);
    }

    /// <summary>
    /// Evaluates one string: exactly one <c>${...}</c> gives the typed value (a deep clone); anything else gives
    /// text, with values written as text (strings as-is, null as "null", objects and arrays as compact JSON).
    /// </summary>
    public static JsonNode? EvaluateString(string text, IExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(scope);
        return text.Contains("${", StringComparison.Ordinal)
            ? Template.Get(text).Evaluate(scope)
            : JsonValue.Create(text);
    }

    private static JsonNode? EvaluateNode(JsonNode? template, IExpressionScope scope) => template switch
    {
        null => null,
        JsonObject obj => EvaluateObjectCore(obj, scope),
        JsonArray array => EvaluateArray(array, scope),
        JsonValue value when value.TryGetValue<string>(out var text) => EvaluateString(text, scope),
        _ => template.DeepClone(),
    };

    private static JsonObject EvaluateObjectCore(JsonObject template, IExpressionScope scope)
    {
        var result = new JsonObject();
        foreach (var (name, value) in template)
        {
            result[name] = EvaluateNode(value, scope);
        }

        return result;
    }

    private static JsonArray EvaluateArray(JsonArray template, IExpressionScope scope)
    {
        var result = new JsonArray();
        foreach (var item in template)
        {
            result.Add(EvaluateNode(item, scope));
        }

        return result;
    }
}
