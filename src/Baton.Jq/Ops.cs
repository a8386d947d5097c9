using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>jq's operators and indexing on values, with jq 1.6's results and messages.</summary>
internal static class Ops
{
    public static JsonNode? Binary(Ctx ctx, string op, JsonNode? l, JsonNode? r) => op switch
    {
        "+" => Add(ctx, l, r),
        "-" => Subtract(ctx, l, r),
        "*" => Multiply(ctx, l, r),
        "/" => Divide(ctx, l, r),
        "%" => Modulo(l, r),
        "==" => Values.Bool(Values.Equal(l, r)),
        "!=" => Values.Bool(!Values.Equal(l, r)),
        "<" => Values.Bool(Values.Compare(l, r) < 0),
        "<=" => Values.Bool(Values.Compare(l, r) <= 0),
        ">" => Values.Bool(Values.Compare(l, r) > 0),
        ">=" => Values.Bool(Values.Compare(l, r) >= 0),
        _ => throw new InvalidOperationException(op),
    };

    private static JqError Cannot(JsonNode? l, JsonNode? r, string what) =>
        JqError.Of($"{Values.Describe(l)} and {Values.Describe(r)} cannot be {what}");

    public static JsonNode? Add(Ctx ctx, JsonNode? l, JsonNode? r)
    {
        var kl = Values.Kind(l);
        var kr = Values.Kind(r);
        if (kl == JqKind.Null) return r;
        if (kr == JqKind.Null) return l;
        if (kl == JqKind.Number && kr == JqKind.Number) return Values.Num(Values.Number(l) + Values.Number(r));
        if (kl == JqKind.String && kr == JqKind.String)
        {
            var a = Values.String(l);
            var b = Values.String(r);
            ctx.CheckString(a.Length + b.Length);
            return Values.Str(a + b);
        }
        if (kl == JqKind.Array && kr == JqKind.Array)
        {
            var a = (JsonArray)l!;
            var b = (JsonArray)r!;
            ctx.CheckArray(a.Count + b.Count);
            var result = new JsonArray();
            foreach (var x in a) result.Add(Values.Attach(ctx, x));
            foreach (var x in b) result.Add(Values.Attach(ctx, x));
            return result;
        }
        if (kl == JqKind.Object && kr == JqKind.Object)
        {
            var result = new JsonObject();
            foreach (var (k, v) in (JsonObject)l!) result[k] = Values.Attach(ctx, v);
            foreach (var (k, v) in (JsonObject)r!) result[k] = Values.Attach(ctx, v);
            ctx.CheckArray(result.Count);
            return result;
        }
        throw Cannot(l, r, "added");
    }

    public static JsonNode? Subtract(Ctx ctx, JsonNode? l, JsonNode? r)
    {
        var kl = Values.Kind(l);
        var kr = Values.Kind(r);
        if (kl == JqKind.Number && kr == JqKind.Number) return Values.Num(Values.Number(l) - Values.Number(r));
        if (kl == JqKind.Array && kr == JqKind.Array)
        {
            var b = (JsonArray)r!;
            var result = new JsonArray();
            foreach (var x in (JsonArray)l!)
            {
                var found = false;
                foreach (var y in b)
                {
                    if (Values.Equal(x, y)) { found = true; break; }
                }
                if (!found) result.Add(Values.Attach(ctx, x));
            }
            return result;
        }
        throw Cannot(l, r, "subtracted");
    }

    public static JsonNode? Multiply(Ctx ctx, JsonNode? l, JsonNode? r)
    {
        var kl = Values.Kind(l);
        var kr = Values.Kind(r);
        if (kl == JqKind.Number && kr == JqKind.Number) return Values.Num(Values.Number(l) * Values.Number(r));
        if ((kl == JqKind.String && kr == JqKind.Number) || (kl == JqKind.Number && kr == JqKind.String))
        {
            var s = Values.String(kl == JqKind.String ? l : r);
            var n = Values.Number(kl == JqKind.Number ? l : r);
            // jq 1.6: repeat (int)(n - 1) more times; below one time in all, null.
            var more = n - 1;
            if (double.IsNaN(more) || more <= -1) return null;
            var count = more >= int.MaxValue ? long.MaxValue : (long)Math.Truncate(more) + 1;
            if (count <= 0) return null;
            if (s.Length == 0) return Values.Str("");
            // Compared by division: count * length overflows for a huge count (1e400 is infinity, count long.MaxValue).
            if (count > ctx.Limits.MaxStringLength / s.Length) ctx.CheckString(int.MaxValue);
            var sb = new StringBuilder(s.Length * (int)count);
            for (var i = 0; i < count; i++) sb.Append(s);
            return Values.Str(sb.ToString());
        }
        if (kl == JqKind.Object && kr == JqKind.Object) return DeepMerge(ctx, (JsonObject)l!, (JsonObject)r!, 0);
        throw Cannot(l, r, "multiplied");
    }

    private static JsonObject DeepMerge(Ctx ctx, JsonObject a, JsonObject b, int depth)
    {
        Values.CheckDepth(depth, ctx.Limits.MaxValueDepth);
        var result = new JsonObject();
        foreach (var (k, v) in a) result[k] = Values.Attach(ctx, v);
        foreach (var (k, v) in b)
        {
            if (v is JsonObject vo && result[k] is JsonObject existing)
                result[k] = DeepMerge(ctx, existing, vo, depth + 1);
            else
                result[k] = Values.Attach(ctx, v);
        }
        return result;
    }

    public static JsonNode? Divide(Ctx ctx, JsonNode? l, JsonNode? r)
    {
        var kl = Values.Kind(l);
        var kr = Values.Kind(r);
        if (kl == JqKind.Number && kr == JqKind.Number)
        {
            var d = Values.Number(r);
            if (d == 0) throw Cannot(l, r, "divided because the divisor is zero");
            return Values.Num(Values.Number(l) / d);
        }
        if (kl == JqKind.String && kr == JqKind.String) return Split(ctx, Values.String(l), Values.String(r));
        throw Cannot(l, r, "divided");
    }

    public static JsonNode? Modulo(JsonNode? l, JsonNode? r)
    {
        if (Values.Kind(l) == JqKind.Number && Values.Kind(r) == JqKind.Number)
        {
            var b = ToInt64(Values.Number(r));
            if (b == 0) throw Cannot(l, r, "divided (remainder) because the divisor is zero");
            var a = ToInt64(Values.Number(l));
            return Values.Num(b == -1 ? 0 : a % b);
        }
        throw Cannot(l, r, "divided (remainder)");
    }

    /// <summary>C's (intmax_t) cast, saturating instead of undefined.</summary>
    public static long ToInt64(double d) =>
        double.IsNaN(d) ? 0 : d >= 9.2233720368547758E18 ? long.MaxValue : d <= -9.2233720368547758E18 ? long.MinValue : (long)d;

    public static JsonArray Split(Ctx ctx, string s, string sep)
    {
        var result = new JsonArray();
        if (s.Length == 0) return result;
        if (sep.Length == 0)
        {
            // jq 1.6 splits into single characters (code points).
            for (var i = 0; i < s.Length; i++)
            {
                var n = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
                result.Add(Values.Str(s.Substring(i, n)));
                i += n - 1;
            }
            ctx.CheckArray(result.Count);
            return result;
        }
        foreach (var part in s.Split(sep)) result.Add(Values.Str(part));
        ctx.CheckArray(result.Count);
        return result;
    }

    public static JsonNode Negate(JsonNode? v) =>
        Values.Kind(v) == JqKind.Number ? Values.Num(-Values.Number(v)) : throw JqError.Of($"{Values.Describe(v)} cannot be negated");

    // ---- indexing ------------------------------------------------------------------------------------------------

    /// <summary>t[key] as jq 1.6 answers it (also slices, when key is {start, end}).</summary>
    public static JsonNode? Index(Ctx ctx, JsonNode? t, JsonNode? key)
    {
        var kk = Values.Kind(key);
        switch (t)
        {
            case JsonObject o when kk == JqKind.String:
                return o.TryGetPropertyValue(Values.String(key), out var v) ? v : null;
            case JsonArray a when kk == JqKind.Number:
                {
                    var d = Values.Number(key);
                    if (d != Math.Floor(d) || double.IsInfinity(d)) return null;
                    if (d < 0) d += a.Count;
                    return d >= 0 && d < a.Count ? a[(int)d] : null;
                }
            case JsonArray a when kk == JqKind.Array:
                return Indices(a, (JsonArray)key!);
        }
        var kt = Values.Kind(t);
        if (kk == JqKind.Object && kt is JqKind.Null or JqKind.Array or JqKind.String)
        {
            var (from, to) = SliceBounds(key);
            return Slice(ctx, t, from, to);
        }
        if (kt == JqKind.Null && kk is JqKind.String or JqKind.Number or JqKind.Null) return null;
        if (kk == JqKind.String) throw JqError.Of($"Cannot index {Values.TypeName(kt)} with string \"{Values.String(key)}\"");
        throw JqError.Of($"Cannot index {Values.TypeName(kt)} with {Values.TypeName(kk)}");
    }

    public static (JsonNode? From, JsonNode? To) SliceBounds(JsonNode? key)
    {
        var o = (JsonObject)key!;
        return (o["start"], o["end"]);
    }

    public static JsonObject SliceKey(JsonNode? from, JsonNode? to, Ctx ctx) =>
        new() { ["start"] = Values.Attach(ctx, from), ["end"] = Values.Attach(ctx, to) };

    /// <summary>[start, end) in elements (code points for strings), as jq 1.6 rounds and clamps them.</summary>
    public static (int Start, int End) SliceRange(JsonNode? from, JsonNode? to, int length)
    {
        var kf = Values.Kind(from);
        var kt = Values.Kind(to);
        if ((kf != JqKind.Null && kf != JqKind.Number) || (kt != JqKind.Null && kt != JqKind.Number))
            throw JqError.Of("Start and end indices of an array slice must be numbers");
        double start = kf == JqKind.Null ? 0 : Values.Number(from);
        double end = kt == JqKind.Null ? length : Values.Number(to);
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > length) start = length;
        if (end > length) end = length;
        if (end < start) end = start;
        var s = (int)start;
        var e = end > (int)end ? (int)end + 1 : (int)end;
        if (e > length) e = length;
        return (s, e);
    }

    public static JsonNode? Slice(Ctx ctx, JsonNode? t, JsonNode? from, JsonNode? to)
    {
        switch (Values.Kind(t))
        {
            case JqKind.Null:
                return null;
            case JqKind.Array:
                {
                    var a = (JsonArray)t!;
                    var (s, e) = SliceRange(from, to, a.Count);
                    var result = new JsonArray();
                    for (var i = s; i < e; i++) result.Add(Values.Attach(ctx, a[i]));
                    return result;
                }
            case JqKind.String:
                {
                    var str = Values.String(t);
                    var (s, e) = SliceRange(from, to, Values.CodepointLength(str));
                    var us = Values.Utf16Index(str, s);
                    var ue = Values.Utf16Index(str, e);
                    return Values.Str(str[us..ue]);
                }
            default:
                throw JqError.Of($"Cannot index {Values.TypeName(t)} with object");
        }
    }

    public static JsonNode? Indices(JsonArray a, JsonArray sub)
    {
        var result = new JsonArray();
        if (sub.Count == 0) return null;
        for (var i = 0; i + sub.Count <= a.Count; i++)
        {
            var match = true;
            for (var j = 0; j < sub.Count && match; j++) match = Values.Equal(a[i + j], sub[j]);
            if (match) result.Add(Values.Num(i));
        }
        return result;
    }

    public static JqError CannotIterate(JsonNode? v) =>
        JqError.Of($"Cannot iterate over {Values.Describe(v)}");

    /// <summary>.[]: every value, with its key when paths are tracked.</summary>
    public static bool Iterate(Ctx ctx, JsonNode? v, Path? p, Emit k)
    {
        if (p == Path.NotAPath) throw JqError.Of($"Invalid path expression near attempt to iterate through {Values.Trunc(v)}");
        switch (v)
        {
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    ctx.Step();
                    if (!k(a[i], p?.Append(Values.Num(i)))) return false;
                }
                return true;
            case JsonObject o:
                if (p is null)
                {
                    foreach (var (_, x) in o)
                    {
                        ctx.Step();
                        if (!k(x, null)) return false;
                    }
                    return true;
                }
                foreach (var (key, x) in o)
                {
                    ctx.Step();
                    if (!k(x, p.Append(Values.Str(key)))) return false;
                }
                return true;
            default:
                throw CannotIterate(v);
        }
    }

    // ---- paths ---------------------------------------------------------------------------------------------------

    public static JsonNode? GetPath(Ctx ctx, JsonNode? v, JsonArray path)
    {
        var cur = v;
        foreach (var key in path)
        {
            if (cur is null) return null;
            cur = Index(ctx, cur, key);
        }
        return cur;
    }

    public static JsonNode? SetPath(Ctx ctx, JsonNode? root, JsonArray path, int at, JsonNode? value)
    {
        if (at == path.Count) return Values.Attach(ctx, value);
        Values.CheckDepth(at, ctx.Limits.MaxValueDepth);
        var key = path[at];
        var kk = Values.Kind(key);
        var kr = Values.Kind(root);
        if (kk == JqKind.String && kr is JqKind.Object or JqKind.Null)
        {
            var name = Values.String(key);
            var result = new JsonObject();
            JsonNode? old = null;
            if (root is JsonObject o)
            {
                foreach (var (k, x) in o)
                {
                    if (k == name) { old = x; result[k] = null; }
                    else result[k] = Values.Attach(ctx, x);
                }
            }
            result[name] = SetPath(ctx, old, path, at + 1, value);
            return result;
        }
        if (kk == JqKind.Number && kr is JqKind.Array or JqKind.Null)
        {
            var a = root as JsonArray;
            var count = a?.Count ?? 0;
            var d = Values.Number(key);
            if (double.IsNaN(d)) d = 0;
            if (d < 0)
            {
                d += count;
                if (d < 0) throw JqError.Of("Out of bounds negative array index");
            }
            if (d >= ctx.Limits.MaxArrayLength) ctx.CheckArray(int.MaxValue);
            var i = (int)d;
            var result = new JsonArray();
            for (var j = 0; j < Math.Max(count, i + 1); j++)
            {
                if (j == i) result.Add(SetPath(ctx, j < count ? a![j] : null, path, at + 1, value));
                else result.Add(j < count ? Values.Attach(ctx, a![j]) : null);
            }
            return result;
        }
        if (kk == JqKind.Object && kr is JqKind.Array or JqKind.Null)
        {
            var a = root as JsonArray ?? [];
            var (from, to) = SliceBounds(key);
            var (s, e) = SliceRange(from, to, a.Count);
            var replacement = SetPath(ctx, Slice(ctx, a, from, to), path, at + 1, value);
            if (replacement is not JsonArray ra) throw JqError.Of("A slice of an array can only be assigned another array");
            var result = new JsonArray();
            for (var j = 0; j < s; j++) result.Add(Values.Attach(ctx, a[j]));
            foreach (var x in ra) result.Add(Values.Attach(ctx, x));
            for (var j = e; j < a.Count; j++) result.Add(Values.Attach(ctx, a[j]));
            ctx.CheckArray(result.Count);
            return result;
        }
        // The same errors indexing gives.
        Index(ctx, root, key);
        throw JqError.Of($"Cannot update field at object index of {Values.TypeName(root)}");
    }

    public static JsonNode? DeletePaths(Ctx ctx, JsonNode? root, List<JsonArray> paths)
    {
        paths.Sort((x, y) => Values.Compare(y, x));
        var cur = root;
        foreach (var path in paths)
        {
            if (path.Count == 0) return null;
            cur = DeletePath(ctx, cur, path, 0);
        }
        return cur;
    }

    private static JsonNode? DeletePath(Ctx ctx, JsonNode? root, JsonArray path, int at)
    {
        if (root is null) return null;
        Values.CheckDepth(at, ctx.Limits.MaxValueDepth);
        var key = path[at];
        var last = at == path.Count - 1;
        if (!last)
        {
            var child = Index(ctx, root, key);
            if (child is null) return root;
            var updated = DeletePath(ctx, child, path, at + 1);
            return SetPath(ctx, root, new JsonArray(Values.Attach(ctx, key)), 0, updated);
        }
        var kk = Values.Kind(key);
        switch (root)
        {
            case JsonObject o when kk == JqKind.String:
                {
                    var name = Values.String(key);
                    var result = new JsonObject();
                    foreach (var (k, x) in o)
                        if (k != name) result[k] = Values.Attach(ctx, x);
                    return result;
                }
            case JsonArray a when kk == JqKind.Number:
                {
                    var d = Values.Number(key);
                    if (d < 0) d += a.Count;
                    if (d < 0) throw JqError.Of("Out of bounds negative array index");
                    var i = (int)d;
                    var result = new JsonArray();
                    for (var j = 0; j < a.Count; j++)
                        if (j != i) result.Add(Values.Attach(ctx, a[j]));
                    return result;
                }
            case JsonArray a when kk == JqKind.Object:
                {
                    var (from, to) = SliceBounds(key);
                    var (s, e) = SliceRange(from, to, a.Count);
                    var result = new JsonArray();
                    for (var j = 0; j < a.Count; j++)
                        if (j < s || j >= e) result.Add(Values.Attach(ctx, a[j]));
                    return result;
                }
            default:
                if (kk == JqKind.String) throw JqError.Of($"Cannot delete field at object index of {Values.TypeName(root)}");
                throw JqError.Of($"Cannot delete field at index of {Values.TypeName(root)}");
        }
    }
}
