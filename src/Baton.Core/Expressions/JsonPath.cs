using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>
/// A compiled JSONPath, the subset of Jayway JsonPath that Conductor expressions use: dot and bracket names,
/// indices (negative from the end), wildcards, slices, unions, deep scan and filters. The leading "$." is optional.
/// Evaluation never throws: whatever is missing yields null (definite paths) or fewer matches (indefinite ones).
/// Its work is bounded (<see cref="EvaluationContext.MaxCost"/>): deep scans and filters multiply, so
/// <c>$..*..*..*</c> over a deep document would otherwise run and allocate without end; past the bound an evaluation
/// yields nothing found.
/// </summary>
public sealed class JsonPath
{
    private const int CacheLimit = 4096;
    private static readonly ConcurrentDictionary<string, JsonPath?> Cache = new(StringComparer.Ordinal);
    private static int cacheCount;

    private readonly PathSegment[] segments;

    /// <summary>True when every segment is a plain name or index, so the fast loop can walk it.</summary>
    private readonly bool simple;

    internal JsonPath(string text, PathSegment[] segments)
    {
        Text = text;
        this.segments = segments;
        simple = Array.TrueForAll(segments, s => s is PropertySegment or IndexSegment);
        IsDefinite = simple || ComputeDefinite(segments);
        RootName = segments.Length > 0 && segments[0] is PropertySegment first ? first.Name : null;
    }

    /// <summary>The text this path was parsed from.</summary>
    public string Text { get; }

    /// <summary>
    /// False when the path has wildcards, filters, deep scan, slices or index unions (it then yields a list).
    /// As in Jayway, a name union in the last position (<c>['a','b']</c>) is definite: it yields one object
    /// holding the named properties that exist.
    /// </summary>
    public bool IsDefinite { get; }

    /// <summary>The first property name (what an expression scope is asked for); null for "$" alone or "$[0]".</summary>
    public string? RootName { get; }

    internal ReadOnlySpan<PathSegment> Segments => segments;

    /// <summary>Parses a path; throws <see cref="JsonPathSyntaxException"/> saying what was expected where.</summary>
    public static JsonPath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new JsonPath(path, JsonPathParser.ParsePath(path));
    }

    /// <summary>Parses a path; on failure <paramref name="error"/> reads like "expected ']' at 15".</summary>
    public static bool TryParse(string path, [NotNullWhen(true)] out JsonPath? result, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            result = Parse(path);
            error = null;
            return true;
        }
        catch (JsonPathSyntaxException e)
        {
            result = null;
            error = e.ShortMessage;
            return false;
        }
    }

    /// <summary>
    /// Evaluates against a root node ("$"). Definite paths return a deep clone of the node (null when missing);
    /// indefinite paths return a new JsonArray of deep clones of the matches.
    /// </summary>
    public JsonNode? Evaluate(JsonNode? root)
    {
        JsonNode? value;
        bool fresh;
        try
        {
            value = Select(root, 0, new EvaluationContext(root, null), out _, out fresh);
        }
        catch (EvaluationTooCostlyException)
        {
            return NothingFound(out _, out _);
        }

        return fresh ? value : value?.DeepClone();
    }

    public override string ToString() => Text;

    /// <summary>Parses through a bounded cache; null when the path does not parse.</summary>
    internal static JsonPath? GetCached(string path)
    {
        if (Cache.TryGetValue(path, out var cached))
        {
            return cached;
        }

        var parsed = TryParse(path, out var result, out _) ? result : null;
        if (Cache.TryAdd(path, parsed) && Interlocked.Increment(ref cacheCount) > CacheLimit)
        {
            // Crude but bounded: dynamic paths (built from data) could otherwise grow the cache forever.
            Cache.Clear();
            Interlocked.Exchange(ref cacheCount, 0);
        }

        return parsed;
    }

    /// <summary>
    /// Evaluates with the first segment looked up through the scope. Returns the node itself (not a clone) when
    /// <paramref name="fresh"/> is false, so the caller must clone before handing it out.
    /// </summary>
    internal JsonNode? SelectInScope(IExpressionScope scope, out bool found, out bool fresh)
    {
        try
        {
            return SelectInScope(scope, new EvaluationContext(null, scope), out found, out fresh);
        }
        catch (EvaluationTooCostlyException)
        {
            return NothingFound(out found, out fresh);
        }
    }

    /// <summary>The same inside an evaluation already under way (an absolute path in a filter): its work counts too.</summary>
    internal JsonNode? SelectInScope(IExpressionScope scope, EvaluationContext context, out bool found, out bool fresh)
    {
        if (RootName is null || !scope.TryGetRoot(RootName, out var start))
        {
            return NothingFound(out found, out fresh);
        }

        return Select(start, 1, context, out found, out fresh);
    }

    private JsonArray? NothingFound(out bool found, out bool fresh)
    {
        found = false;
        fresh = true;
        return IsDefinite ? null : [];
    }

    /// <summary>Applies the segments from <paramref name="from"/> on, starting at <paramref name="start"/>.</summary>
    internal JsonNode? Select(JsonNode? start, int from, EvaluationContext context, out bool found, out bool fresh)
    {
        fresh = false;
        if (simple)
        {
            var node = start;
            for (var i = from; i < segments.Length; i++)
            {
                if (!segments[i].TryStep(node, out node))
                {
                    found = false;
                    return null;
                }
            }

            found = true;
            return node;
        }

        var walker = new PathWalker(segments, context);
        walker.Continue(start, from);
        if (IsDefinite)
        {
            found = walker.Results.Count > 0;
            return found ? walker.Results[0] : null;
        }

        var array = new JsonArray();
        foreach (var match in walker.Results)
        {
            context.SpendOnCopy(match);
            array.Add(match?.DeepClone());
        }

        found = array.Count > 0;
        fresh = true;
        return array;
    }

    private static bool ComputeDefinite(PathSegment[] segments)
    {
        for (var i = 0; i < segments.Length; i++)
        {
            var definite = segments[i] switch
            {
                PropertySegment or IndexSegment => true,
                MultiPropertySegment => i == segments.Length - 1,
                _ => false,
            };
            if (!definite)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Where "$" points during an evaluation (a root node, or an expression scope), and the work it has done.</summary>
internal sealed class EvaluationContext(JsonNode? root, IExpressionScope? scope)
{
    /// <summary>
    /// Nodes one evaluation may visit (walker steps, deep-scan visits, filter checks) and copy into its result, in
    /// all; past it <see cref="EvaluationTooCostlyException"/> ends the evaluation.
    /// </summary>
    internal const int MaxCost = 1_000_000;

    private int cost;

    public JsonNode? Root { get; } = root;

    public IExpressionScope? Scope { get; } = scope;

    /// <summary>Counts one node visited.</summary>
    public void Spend()
    {
        if (++cost > MaxCost)
        {
            throw new EvaluationTooCostlyException();
        }
    }

    /// <summary>Counts the nodes of a match about to be copied into the result (walking them with its own stack).</summary>
    public void SpendOnCopy(JsonNode? match)
    {
        var pending = new Stack<JsonNode?>();
        pending.Push(match);
        while (pending.TryPop(out var node))
        {
            Spend();
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (_, value) in obj)
                    {
                        pending.Push(value);
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        pending.Push(item);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}

/// <summary>Collects the matches of an indefinite path, segment by segment.</summary>
internal sealed class PathWalker(PathSegment[] segments, EvaluationContext context)
{
    public EvaluationContext Context { get; } = context;

    public List<JsonNode?> Results { get; } = [];

    public bool IsLeaf(int next) => next == segments.Length;

    public void Continue(JsonNode? node, int next)
    {
        Context.Spend();
        if (next == segments.Length)
        {
            Results.Add(node);
        }
        else
        {
            segments[next].Apply(node, this, next + 1);
        }
    }
}
