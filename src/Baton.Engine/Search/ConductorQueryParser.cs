using System.Globalization;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;

namespace Baton.Engine.Search;

/// <summary>
/// Parses the <c>query</c> of Conductor's workflow search: clauses joined by AND, each <c>field op value</c> with
/// op one of <c>= != &gt; &lt; &gt;= &lt;= IN</c>, e.g. <c>workflowType = 'billing' AND status IN (RUNNING, FAILED)
/// AND startTime &gt; 1700000000000</c>. Fields: workflowType, version, status, correlationId, workflowId, startTime.
/// Nothing here recurses: clauses are split in one pass and each is read left to right; the text is bounded by
/// <see cref="MaxLength"/>.
/// </summary>
public static class ConductorQueryParser
{
    /// <summary>The longest query accepted, in characters; longer ones are a 400 (a search query is a few clauses).</summary>
    public const int MaxLength = 4096;

    public static WorkflowQuery Apply(WorkflowQuery query, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "*") return query;
        if (text.Length > MaxLength) throw Bad($"the query is longer than {MaxLength} characters");
        foreach (var clause in SplitAnd(text))
        {
            var (field, op, values) = ParseClause(clause);
            query = field switch
            {
                "workflowType" => query with { WorkflowName = Single(field, op, values) },
                "workflowId" => query with { WorkflowId = Single(field, op, values) },
                "correlationId" => query with { CorrelationId = Single(field, op, values) },
                "version" => query with { Version = int.TryParse(Single(field, op, values), CultureInfo.InvariantCulture, out var v) ? v : throw Bad($"version '{values[0]}' is not a number") },
                "status" => query with { Statuses = Statuses(op, values) },
                "startTime" => StartTime(query, op, values),
                _ => throw Bad($"cannot search by '{field}'; use workflowType, version, status, correlationId, workflowId or startTime"),
            };
        }
        return query;
    }

    private static WorkflowQuery StartTime(WorkflowQuery query, string op, List<string> values)
    {
        if (values.Count != 1 || !long.TryParse(values[0], CultureInfo.InvariantCulture, out var ms)) throw Bad("startTime takes one number of epoch milliseconds");
        return op switch
        {
            ">" => query with { StartedAfter = ms + 1 },
            ">=" => query with { StartedAfter = ms },
            "<" => query with { StartedBefore = ms - 1 },
            "<=" => query with { StartedBefore = ms },
            "=" => query with { StartedAfter = ms, StartedBefore = ms },
            _ => throw Bad($"startTime does not take '{op}'"),
        };
    }

    private static List<WorkflowStatus> Statuses(string op, List<string> values)
    {
        if (op is not ("=" or "IN")) throw Bad($"status does not take '{op}'");
        var statuses = new List<WorkflowStatus>();
        foreach (var value in values)
        {
            if (!WorkflowStatusExtensions.TryParseWire(value, out var status)) throw Bad($"'{value}' is not a workflow status");
            statuses.Add(status);
        }
        return statuses;
    }

    private static string Single(string field, string op, List<string> values)
    {
        if (op != "=" || values.Count != 1) throw Bad($"{field} takes '= value'");
        return values[0];
    }

    private static (string Field, string Op, List<string> Values) ParseClause(string clause)
    {
        var text = clause.Trim();
        var i = 0;
        while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
        var field = text[..i];
        if (field.Length == 0) throw Bad($"'{clause.Trim()}' does not start with a field name");
        var rest = text[i..].TrimStart();
        string op;
        if (rest.StartsWith("IN", StringComparison.OrdinalIgnoreCase) && rest.Length > 2 && (rest[2] == '(' || char.IsWhiteSpace(rest[2]))) op = "IN";
        else if (rest.StartsWith(">=", StringComparison.Ordinal) || rest.StartsWith("<=", StringComparison.Ordinal) || rest.StartsWith("!=", StringComparison.Ordinal)) op = rest[..2];
        else if (rest.Length > 0 && rest[0] is '=' or '>' or '<') op = rest[..1];
        else throw Bad($"'{clause.Trim()}' needs an operator (=, !=, >, <, >=, <=, IN)");
        if (op == "!=") throw Bad("'!=' is not supported in searches");
        var valueText = rest[op.Length..].Trim();
        List<string> values;
        if (op == "IN")
        {
            if (!valueText.StartsWith('(') || !valueText.EndsWith(')')) throw Bad($"IN needs a list in parentheses: {clause.Trim()}");
            values = [.. valueText[1..^1].Split(',').Select(v => Unquote(v.Trim())).Where(v => v.Length > 0)];
        }
        else
        {
            values = [Unquote(valueText)];
        }
        if (values.Count == 0 || values.Exists(v => v.Length == 0)) throw Bad($"'{clause.Trim()}' has no value");
        return (field, op, values);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && ((value[0] == '\'' && value[^1] == '\'') || (value[0] == '"' && value[^1] == '"')) ? value[1..^1] : value;

    private static IEnumerable<string> SplitAnd(string text)
    {
        var start = 0;
        var quote = '\0';
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0 && i + 5 <= text.Length && string.Compare(text, i, " AND ", 0, 5, StringComparison.OrdinalIgnoreCase) == 0)
            {
                yield return text[start..i];
                start = i + 5;
                i += 4;
            }
        }
        yield return text[start..];
    }

    private static InvalidRequestException Bad(string message) => new("query", message);
}
