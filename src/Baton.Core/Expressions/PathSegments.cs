using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>One step of a JSONPath. Apply hands every node it selects to the walker's next step.</summary>
internal abstract class PathSegment
{
    public abstract void Apply(JsonNode? node, PathWalker walker, int next);

    /// <summary>Applied to every node a deep scan visits; by default the same as <see cref="Apply"/>.</summary>
    public virtual void ApplyScanned(JsonNode? node, PathWalker walker, int next) => Apply(node, walker, next);

    /// <summary>The single-step form used by definite paths; only names and indices support it.</summary>
    public virtual bool TryStep(JsonNode? node, out JsonNode? child)
    {
        child = null;
        return false;
    }
}

internal sealed class PropertySegment(string name) : PathSegment
{
    public string Name { get; } = name;

    public override bool TryStep(JsonNode? node, out JsonNode? child)
    {
        if (node is JsonObject obj)
        {
            return obj.TryGetPropertyValue(Name, out child);
        }

        child = null;
        return false;
    }

    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        if (TryStep(node, out var child))
        {
            walker.Continue(child, next);
        }
    }
}

/// <summary>['a','b']: as the last step, one merged object (Jayway); elsewhere each property in turn.</summary>
internal sealed class MultiPropertySegment(string[] names) : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        if (!walker.IsLeaf(next))
        {
            ApplyScanned(node, walker, next);
            return;
        }

        var merged = new JsonObject();
        foreach (var name in names)
        {
            if (obj.TryGetPropertyValue(name, out var child))
            {
                merged[name] = child?.DeepClone();
            }
        }

        walker.Continue(merged, next);
    }

    public override void ApplyScanned(JsonNode? node, PathWalker walker, int next)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        foreach (var name in names)
        {
            if (obj.TryGetPropertyValue(name, out var child))
            {
                walker.Continue(child, next);
            }
        }
    }
}

internal sealed class IndexSegment(int index) : PathSegment
{
    public override bool TryStep(JsonNode? node, out JsonNode? child)
    {
        if (node is JsonArray array)
        {
            var i = index < 0 ? array.Count + index : index;
            if (i >= 0 && i < array.Count)
            {
                child = array[i];
                return true;
            }
        }

        child = null;
        return false;
    }

    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        if (TryStep(node, out var child))
        {
            walker.Continue(child, next);
        }
    }
}

internal sealed class IndexUnionSegment(int[] indices) : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        if (node is not JsonArray array)
        {
            return;
        }

        foreach (var index in indices)
        {
            var i = index < 0 ? array.Count + index : index;
            if (i >= 0 && i < array.Count)
            {
                walker.Continue(array[i], next);
            }
        }
    }
}

/// <summary>[from:to], end exclusive; negative bounds count from the end; either bound may be left out.</summary>
internal sealed class SliceSegment(int? from, int? to) : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        if (node is not JsonArray array)
        {
            return;
        }

        var count = array.Count;
        var start = Normalize(from ?? 0, count);
        var end = Normalize(to ?? count, count);
        for (var i = start; i < end; i++)
        {
            walker.Continue(array[i], next);
        }
    }

    private static int Normalize(int bound, int count) => Math.Clamp(bound < 0 ? count + bound : bound, 0, count);
}

internal sealed class WildcardSegment : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    walker.Continue(value, next);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    walker.Continue(item, next);
                }

                break;
            default:
                break;
        }
    }
}

/// <summary>
/// ..x: applies the inner step to the node and to every descendant, parents before children, in document order.
/// The walk keeps its own stack, so a value nested however deep cannot overflow the thread's.
/// </summary>
internal sealed class DeepScanSegment(PathSegment inner) : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        var pending = new Stack<JsonNode?>();
        pending.Push(node);
        while (pending.TryPop(out var current))
        {
            walker.Context.Spend();
            inner.ApplyScanned(current, walker, next);
            switch (current)
            {
                case JsonObject obj:
                    for (var i = obj.Count - 1; i >= 0; i--)
                    {
                        pending.Push(obj.GetAt(i).Value);
                    }

                    break;
                case JsonArray array:
                    for (var i = array.Count - 1; i >= 0; i--)
                    {
                        pending.Push(array[i]);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}

/// <summary>[?(...)]: the array elements that match; on an object, the object itself when it matches (Jayway).</summary>
internal sealed class FilterSegment(FilterExpression filter) : PathSegment
{
    public override void Apply(JsonNode? node, PathWalker walker, int next)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    walker.Context.Spend();
                    if (filter.Matches(item, walker.Context))
                    {
                        walker.Continue(item, next);
                    }
                }

                break;
            case JsonObject:
                ApplyScanned(node, walker, next);
                break;
            default:
                break;
        }
    }

    /// <summary>A deep scan checks each object it visits (elements are visited too, so arrays add nothing).</summary>
    public override void ApplyScanned(JsonNode? node, PathWalker walker, int next)
    {
        if (node is JsonObject && filter.Matches(node, walker.Context))
        {
            walker.Continue(node, next);
        }
    }
}
