using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>The predicate inside [?( ... )], evaluated against one candidate node ("@").</summary>
internal abstract class FilterExpression
{
    public abstract bool Matches(JsonNode? item, EvaluationContext context);
}

/// <summary>a || b || ...: the alternatives in order, the first that matches decides.</summary>
internal sealed class OrFilter(FilterExpression[] alternatives) : FilterExpression
{
    public override bool Matches(JsonNode? item, EvaluationContext context) =>
        Array.Exists(alternatives, alternative => alternative.Matches(item, context));
}

/// <summary>a &amp;&amp; b &amp;&amp; ...: the conditions in order, the first that fails decides.</summary>
internal sealed class AndFilter(FilterExpression[] conditions) : FilterExpression
{
    public override bool Matches(JsonNode? item, EvaluationContext context) =>
        Array.TrueForAll(conditions, condition => condition.Matches(item, context));
}

internal sealed class NotFilter(FilterExpression inner) : FilterExpression
{
    public override bool Matches(JsonNode? item, EvaluationContext context) => !inner.Matches(item, context);
}

/// <summary>[?(@.x)]: the path exists (a JSON null counts as existing, as in Jayway).</summary>
internal sealed class ExistsFilter(PathOperand operand) : FilterExpression
{
    public override bool Matches(JsonNode? item, EvaluationContext context) => operand.Resolve(item, context, out _);
}

internal enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

internal sealed class ComparisonFilter(FilterOperand left, ComparisonOperator op, FilterOperand right) : FilterExpression
{
    public override bool Matches(JsonNode? item, EvaluationContext context)
    {
        var leftFound = left.Resolve(item, context, out var l);
        var rightFound = right.Resolve(item, context, out var r);
        if (op == ComparisonOperator.NotEqual)
        {
            // Jayway: != is the negation of ==, so a missing value is "not equal" to anything.
            return !(leftFound && rightFound && JsonValues.AreEqual(l, r));
        }

        if (!leftFound || !rightFound)
        {
            return false;
        }

        if (op == ComparisonOperator.Equal)
        {
            return JsonValues.AreEqual(l, r);
        }

        var order = JsonValues.Compare(l, r);
        return order.HasValue && op switch
        {
            ComparisonOperator.Less => order < 0,
            ComparisonOperator.LessOrEqual => order <= 0,
            ComparisonOperator.Greater => order > 0,
            _ => order >= 0,
        };
    }
}

internal abstract class FilterOperand
{
    /// <summary>False when the value does not exist (a missing path); <paramref name="value"/> is not a copy.</summary>
    public abstract bool Resolve(JsonNode? item, EvaluationContext context, out JsonNode? value);
}

internal sealed class LiteralOperand(JsonNode? literal) : FilterOperand
{
    public override bool Resolve(JsonNode? item, EvaluationContext context, out JsonNode? value)
    {
        value = literal;
        return true;
    }
}

/// <summary>@.x (relative to the candidate) or $.x (absolute: the evaluation's root or scope).</summary>
internal sealed class PathOperand(JsonPath path, bool absolute) : FilterOperand
{
    public override bool Resolve(JsonNode? item, EvaluationContext context, out JsonNode? value)
    {
        if (!absolute)
        {
            value = path.Select(item, 0, context, out var found, out _);
            return found;
        }

        if (context.Scope is { } scope)
        {
            value = path.SelectInScope(scope, context, out var found, out _);
            return found;
        }

        value = path.Select(context.Root, 0, context, out var rootFound, out _);
        return rootFound;
    }
}

/// <summary>Comparison and formatting of JSON values, shared by filters and text interpolation.</summary>
internal static class JsonValues
{
    public static bool AreEqual(JsonNode? left, JsonNode? right)
    {
        var lk = Kind(left);
        var rk = Kind(right);
        if (lk == JsonValueKind.Number && rk == JsonValueKind.Number)
        {
            return ToDouble(left!) == ToDouble(right!);
        }

        // Jayway compares a number with a string numerically ('1' == 1 holds).
        if (lk == JsonValueKind.Number && rk == JsonValueKind.String)
        {
            return TryParseNumber(right!.GetValue<string>(), out var d) && d == ToDouble(left!);
        }

        if (lk == JsonValueKind.String && rk == JsonValueKind.Number)
        {
            return TryParseNumber(left!.GetValue<string>(), out var d) && d == ToDouble(right!);
        }

        return JsonNode.DeepEquals(left, right);
    }

    /// <summary>Orders two numbers or two strings (ordinal); null for anything else.</summary>
    public static int? Compare(JsonNode? left, JsonNode? right)
    {
        var lk = Kind(left);
        var rk = Kind(right);
        if (lk == JsonValueKind.Number && rk == JsonValueKind.Number)
        {
            return ToDouble(left!).CompareTo(ToDouble(right!));
        }

        if (lk == JsonValueKind.String && rk == JsonValueKind.String)
        {
            return Math.Sign(string.CompareOrdinal(left!.GetValue<string>(), right!.GetValue<string>()));
        }

        return null;
    }

    public static JsonValueKind Kind(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    public static double ToDouble(JsonNode node)
    {
        var value = node.AsValue();
        if (value.TryGetValue<JsonElement>(out var element) && element.TryGetDouble(out var fromElement))
        {
            return fromElement;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        return TryParseNumber(value.ToJsonString(), out var parsed) ? parsed : double.NaN;
    }

    private static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
