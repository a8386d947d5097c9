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
    /// How deep a template may nest (objects and arrays; the template itself is level 1). Templates come from
    /// definitions, which the JSON reader already limits to 64 levels; deeper ones are refused before descending.
    /// </summary>
    internal const int MaxTemplateDepth = 256;

    /// <summary>
    /// Evaluates every <c>${...}</c> in a JSON template (recursively through objects, arrays and strings).
    /// Returns a new tree that shares no node with the template or the scope. Throws <see cref="ArgumentException"/>
    /// when the template nests deeper than 256 levels.
    /// </summary>
    public static JsonNode? Evaluate(JsonNode? template, IExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return EvaluateNode(template, scope, 1);
    }

    /// <summary>Same, for an input-parameters object; a null template gives an empty object.</summary>
    public static JsonObject EvaluateObject(JsonObject? template, IExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return template is null ? [] : EvaluateObjectCore(template, scope, 1);
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

    private static JsonNode? EvaluateNode(JsonNode? template, IExpressionScope scope, int depth) => template switch
    {
        null => null,
        JsonObject obj => EvaluateObjectCore(obj, scope, depth),
        JsonArray array => EvaluateArray(array, scope, depth),
        JsonValue value when value.TryGetValue<string>(out var text) => EvaluateString(text, scope),
        _ => template.DeepClone(),
    };

    private static JsonObject EvaluateObjectCore(JsonObject template, IExpressionScope scope, int depth)
    {
        var result = new JsonObject();
        foreach (var (name, value) in template)
        {
            result[name] = EvaluateNode(value, scope, Deeper(depth, value));
        }

        return result;
    }

    private static JsonArray EvaluateArray(JsonArray template, IExpressionScope scope, int depth)
    {
        var result = new JsonArray();
        foreach (var item in template)
        {
            result.Add(EvaluateNode(item, scope, Deeper(depth, item)));
        }

        return result;
    }

    /// <summary>The child's level, checked before descending into it.</summary>
    private static int Deeper(int depth, JsonNode? child) =>
        depth < MaxTemplateDepth || child is not (JsonObject or JsonArray)
            ? depth + 1
            : throw new ArgumentException($"the template nests deeper than {MaxTemplateDepth} levels");
}
