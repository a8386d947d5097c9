using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>The builtins: natives written in C# (by "name/arity"), and the rest written in jq (<see cref="Library"/>),
/// compiled once per process and shared by every program.</summary>
internal static class Builtins
{
    public static readonly Dictionary<string, Func<Filter[], Filter>> Natives = new(StringComparer.Ordinal);

    private static Path? Np(Path? p) => p is null ? null : Path.NotAPath;

    private static void Def(string name, Func<Ctx, JsonNode?, JsonNode?> f) =>
        Natives[$"{name}/0"] = _ => (c, e, v, p, k) => k(f(c, v), Np(p));

    private static void Def(string name, Func<Ctx, JsonNode?, JsonNode?, JsonNode?> f) =>
        Natives[$"{name}/1"] = a => (c, e, v, p, k) => a[0](c, e, v, null, (x, _) => k(f(c, v, x), Np(p)));

    /// <summary>Two value arguments: as jq calls its C functions, the last argument is the outer loop.</summary>
    private static void Def(string name, Func<Ctx, JsonNode?, JsonNode?, JsonNode?, JsonNode?> f) =>
        Natives[$"{name}/2"] = a => (c, e, v, p, k) => a[1](c, e, v, null, (y, _) => a[0](c, e, v, null, (x, _) => k(f(c, v, x, y), Np(p))));

    private static void Gen(string name, int arity, Func<Filter[], Filter> factory) => Natives[$"{name}/{arity}"] = factory;

    private static double Num(JsonNode? v, string? who = null) =>
        Values.TryNumber(v, out var d) ? d : throw JqError.Of($"{Values.Describe(v)} number required");

    private static void Math1(string name, Func<double, double> f) => Def(name, (c, v) => Values.Num(f(Num(v))));

    private static void Math2(string name, Func<double, double, double> f) => Def(name, (c, v, a, b) => Values.Num(f(Num(a), Num(b))));

    static Builtins()
    {
        DefineCore();
        DefineStrings();
        DefineCollections();
        DefineGenerators();
        DefineMath();
        DefineMisc();
    }

    // ---- core --------------------------------------------------------------------------------------------------

    private static void DefineCore()
    {
        Gen("empty", 0, _ => static (c, e, v, p, k) => true);
        Gen("not", 0, _ => static (c, e, v, p, k) => k(Values.Bool(!Values.Truthy(v)), Np(p)));
        Gen("select", 1, a => (c, e, v, p, k) => a[0](c, e, v, null, (x, _) => !Values.Truthy(x) || k(v, p)));
        Gen("error", 0, _ => static (c, e, v, p, k) => v is null ? true : throw new JqError(v));
        Gen("error", 1, a => (c, e, v, p, k) => a[0](c, e, v, null, (x, _) => x is null ? true : throw new JqError(x)));
        Gen("path", 1, a => (c, e, v, p, k) => a[0](c, e, v, Path.Root, (x, xp) => k(Compiler.PathArray(c, x, xp), Np(p))));
        Gen("getpath", 1, a => (c, e, v, p, k) => a[0](c, e, v, null, (x, _) =>
        {
            if (x is not JsonArray path) throw JqError.Of("Path must be specified as an array");
            if (p == Path.NotAPath) throw JqError.Of($"Invalid path expression with result {Values.Trunc(v)}");
            JsonNode? result;
            try
            {
                result = Ops.GetPath(c, v, path);
            }
            catch (JqError) when (p is not null)
            {
                result = null;
            }
            var rp = p;
            if (rp is not null) foreach (var key in path) rp = rp.Append(key);
            return k(result, rp);
        }));
        Def("setpath", (c, v, path, x) => path is JsonArray pa ? Ops.SetPath(c, v, pa, 0, x) : throw JqError.Of("Path must be specified as an array"));
        Def("delpaths", (c, v, paths) =>
        {
            if (paths is not JsonArray list) throw JqError.Of("Paths must be specified as an array");
            var all = new List<JsonArray>();
            foreach (var x in list) all.Add(x as JsonArray ?? throw JqError.Of("Path must be specified as an array"));
            return Ops.DeletePaths(c, v, all);
        });
        Gen("first", 1, a => First(a[0]));
        Gen("limit", 2, a => (c, e, v, p, k) => a[0](c, e, v, null, (nv, _) =>
        {
            var n = Num(nv);
            if (n <= 0) return n < 0 ? a[1](c, e, v, p, k) : true;
            var token = c.NewToken();
            var count = 0;
            var r = a[1](c, e, v, p, (x, xp) =>
            {
                if (!k(x, xp)) return false;
                if (++count < n) return true;
                c.Stopping = token;
                return false;
            });
            return r || c.Claim(token);
        }));
        Gen("isempty", 1, a => (c, e, v, p, k) =>
        {
            var token = c.NewToken();
            var empty = true;
            var r = a[0](c, e, v, null, (x, _) =>
            {
                empty = false;
                c.Stopping = token;
                return false;
            });
            if (!r && !c.Claim(token)) return false;
            return k(Values.Bool(empty), Np(p));
        });
        Gen("halt", 0, _ => static (c, e, v, p, k) =>
        {
            c.Halted = true;
            c.Stopping = -1;
            return false;
        });
        Gen("halt_error", 0, _ => static (c, e, v, p, k) => throw new HaltError(v));
        Gen("halt_error", 1, a => (c, e, v, p, k) => a[0](c, e, v, null, (_, _) => throw new HaltError(v)));
        Def("env", (c, v) => new JsonObject());
        Def("input_filename", (c, v) => null);
        Gen("debug", 0, _ => static (c, e, v, p, k) => k(v, p));
        Gen("stderr", 0, _ => static (c, e, v, p, k) => k(v, p));
        Def("now", (c, v) => Values.Num((c.Now ??= DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() / 1000.0));
    }

    private static Filter First(Filter f) => (c, e, v, p, k) =>
    {
        var token = c.NewToken();
        var r = f(c, e, v, p, (x, xp) =>
        {
            if (!k(x, xp)) return false;
            c.Stopping = token;
            return false;
        });
        return r || c.Claim(token);
    };

    // ---- strings -------------------------------------------------------------------------------------------------

    private static string Str(JsonNode? v, string message) => Values.TryString(v, out var s) ? s : throw JqError.Of(message);

    private static void DefineStrings()
    {
        Def("tostring", (c, v) => Values.TryString(v, out _) ? v : Values.Str(Values.ToJson(v, c.Limits.MaxValueDepth)));
        Def("tojson", (c, v) => Values.Str(Values.ToJson(v, c.Limits.MaxValueDepth)));
        Def("fromjson", (c, v) => FromJson(Str(v, $"{Values.Describe(v)} cannot be parsed as JSON")));
        Def("tonumber", (c, v) =>
        {
            if (Values.Kind(v) == JqKind.Number) return v;
            var s = Str(v, $"{Values.Describe(v)} cannot be parsed as a number");
            var parsed = FromJson(s);
            return Values.Kind(parsed) == JqKind.Number ? parsed : throw JqError.Of($"Cannot parse '{s}' as a number");
        });
        Def("ascii_downcase", (c, v) => Values.Str(AsciiCase(Str(v, "explode input must be a string"), upper: false)));
        Def("ascii_upcase", (c, v) => Values.Str(AsciiCase(Str(v, "explode input must be a string"), upper: true)));
        Def("explode", (c, v) =>
        {
            var s = Str(v, "explode input must be a string");
            var result = new JsonArray();
            for (var i = 0; i < s.Length; i++)
            {
                int cp = s[i];
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) cp = char.ConvertToUtf32(s[i], s[++i]);
                else if (char.IsSurrogate(s[i])) cp = 0xFFFD;
                result.Add(cp);
            }
            return result;
        });
        Def("implode", (c, v) =>
        {
            if (v is not JsonArray a) throw JqError.Of("implode input must be an array");
            var sb = new StringBuilder(a.Count);
            foreach (var x in a)
            {
                if (!Values.TryNumber(x, out var d)) throw JqError.Of("Unicode codepoint must be numeric");
                var cp = (long)d;
                if (cp is < 0 or > 0x10FFFF) throw JqError.Of($"Invalid codepoint literal {Values.FormatNumber(d)}");
                if (cp is >= 0xD800 and < 0xE000) sb.Append('\uFFFD');
                else sb.Append(char.ConvertFromUtf32((int)cp));
            }
            c.CheckString(sb.Length);
            return Values.Str(sb.ToString());
        });
        Def("ltrimstr", (c, v, x) =>
            Values.TryString(v, out var s) && Values.TryString(x, out var pre) && s.StartsWith(pre, StringComparison.Ordinal) ? Values.Str(s[pre.Length..]) : v);
        Def("rtrimstr", (c, v, x) =>
            Values.TryString(v, out var s) && Values.TryString(x, out var suf) && s.EndsWith(suf, StringComparison.Ordinal) && s.Length >= suf.Length
                ? Values.Str(s[..^suf.Length]) : v);
        Def("startswith", (c, v, x) =>
            Values.TryString(v, out var s) && Values.TryString(x, out var pre)
                ? Values.Bool(s.StartsWith(pre, StringComparison.Ordinal)) : throw JqError.Of("startswith() requires string inputs"));
        Def("endswith", (c, v, x) =>
            Values.TryString(v, out var s) && Values.TryString(x, out var suf)
                ? Values.Bool(s.EndsWith(suf, StringComparison.Ordinal)) : throw JqError.Of("endswith() requires string inputs"));
        Def("split", (c, v, x) =>
            Values.TryString(v, out var s) && Values.TryString(x, out var sep)
                ? Ops.Split(c, s, sep) : throw JqError.Of("split input and separator must be strings"));
        Def("join", (c, v, sep) =>
        {
            // jq 1.6: null joins as "", numbers and booleans as JSON, anything else must be a string.
            var items = Elements(v);
            var sb = new StringBuilder();
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    if (!Values.TryString(sep, out var sepText)) throw JqError.Of($"{Values.Describe(Values.Str(sb.ToString()))} and {Values.Describe(sep)} cannot be added");
                    sb.Append(sepText);
                }
                var x = items[i];
                switch (Values.Kind(x))
                {
                    case JqKind.Null: break;
                    case JqKind.String: sb.Append(Values.String(x)); break;
                    case JqKind.Number or JqKind.True or JqKind.False: sb.Append(Values.ToJson(x)); break;
                    default: throw JqError.Of($"{Values.Describe(Values.Str(sb.ToString()))} and {Values.Describe(x)} cannot be added");
                }
                c.CheckString(sb.Length);
            }
            return Values.Str(sb.ToString());
        });
        Def("utf8bytelength", (c, v) => Values.TryString(v, out var s)
            ? Values.Num(Encoding.UTF8.GetByteCount(s)) : throw JqError.Of($"{Values.Describe(v)} only strings have UTF-8 byte length"));
        Def("_strindices", (c, v, x) =>
        {
            var s = Values.String(v);
            var needle = Values.String(x);
            var result = new JsonArray();
            if (needle.Length == 0) return result;
            for (var i = s.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = s.IndexOf(needle, i + 1, StringComparison.Ordinal))
                result.Add(Values.CodepointIndex(s, i));
            return result;
        });
        Gen("match", 2, a => (c, e, v, p, k) => a[1](c, e, v, null, (flags, _) => a[0](c, e, v, null, (re, _) =>
        {
            foreach (var m in Regexes.Match(c, v, re, flags))
                if (!k(m, Np(p))) return false;
            return true;
        })));
        Def("test", (c, v, re, flags) => Values.Bool(Regexes.Match(c, v, re, flags).Count > 0));
        Gen("_sub", 3, a => (c, e, v, p, k) => a[2](c, e, v, null, (flags, _) => a[0](c, e, v, null, (re, _) =>
        {
            var s = Values.TryString(v, out var str) ? str : "";
            var matches = Regexes.Match(c, v, re, flags);
            if (matches.Count == 0) return k(v, Np(p));
            var pieces = new string[matches.Count];
            return Replace(0);

            bool Replace(int i)
            {
                if (i == matches.Count)
                {
                    var sb = new StringBuilder();
                    var at = 0;
                    for (var j = 0; j < matches.Count; j++)
                    {
                        var start = Values.Utf16Index(s, (int)Values.Number(matches[j]["offset"]));
                        var end = Values.Utf16Index(s, (int)Values.Number(matches[j]["offset"]) + (int)Values.Number(matches[j]["length"]));
                        sb.Append(s, at, start - at).Append(pieces[j]);
                        at = end;
                    }
                    sb.Append(s, at, s.Length - at);
                    c.CheckString(sb.Length);
                    return k(Values.Str(sb.ToString()), Np(p));
                }
                var capture = Regexes.CaptureObject(matches[i]);
                return a[1](c, e, capture, null, (replacement, _) =>
                {
                    if (!Values.TryString(replacement, out var r))
                        throw JqError.Of($"{Values.Describe(Values.Str(s))} and {Values.Describe(replacement)} cannot be added");
                    pieces[i] = r;
                    return Replace(i + 1);
                });
            }
        })));
        Def("_capture", (c, m) => Regexes.CaptureObject((JsonObject)m!));
        Gen("splits_regex", 2, a => (c, e, v, p, k) => a[1](c, e, v, null, (flags, _) => a[0](c, e, v, null, (re, _) =>
        {
            var s = Values.TryString(v, out var str) ? str : "";
            var matches = Regexes.Match(c, v, re, flags, forceGlobal: true);
            var result = new JsonArray();
            var at = 0;
            foreach (var m in matches)
            {
                var start = Values.Utf16Index(s, (int)Values.Number(m["offset"]));
                result.Add(Values.Str(s[at..Math.Max(at, start)]));
                at = Values.Utf16Index(s, (int)Values.Number(m["offset"]) + (int)Values.Number(m["length"]));
            }
            result.Add(Values.Str(s[Math.Min(at, s.Length)..]));
            return k(result, Np(p));
        })));
        foreach (var name in new[] { "text", "json", "html", "uri", "csv", "tsv", "sh", "base64", "base64d", "base32", "base32d" })
        {
            var format = name;
            Def("@" + name, (c, v) => Values.Str(Formats.Apply(c, format, v)));
        }
        Def("format", (c, v, f) => Values.TryString(f, out var name) && Formats.IsKnown(name)
            ? Values.Str(Formats.Apply(c, name, v)) : throw JqError.Of($"{Values.ToText(f)} is not a valid format"));
    }

    private static JsonNode? FromJson(string s)
    {
        try
        {
            var t = s.Trim();
            if (t == "nan") return Values.Num(double.NaN);
            return JsonNode.Parse(s, null, new JsonDocumentOptions { MaxDepth = 512 });
        }
        catch (JsonException e)
        {
            throw JqError.Of($"{e.Message} (while parsing '{s}')");
        }
    }

    private static string AsciiCase(string s, bool upper)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (upper && c is >= 'a' and <= 'z') chars[i] = (char)(c - 32);
            else if (!upper && c is >= 'A' and <= 'Z') chars[i] = (char)(c + 32);
        }
        return new string(chars);
    }

    // ---- collections ---------------------------------------------------------------------------------------------

    private static List<JsonNode?> Elements(JsonNode? v) => v switch
    {
        JsonArray a => [.. a],
        JsonObject o => o.Select(kv => kv.Value).ToList(),
        _ => throw Ops.CannotIterate(v),
    };

    private static JsonArray SortedArray(Ctx c, JsonNode? v, string what)
    {
        if (v is not JsonArray a) throw JqError.Of($"{Values.Describe(v)} cannot be sorted, as it is not an array");
        _ = what;
        var list = a.ToList();
        var sorted = list.Select((x, i) => (x, i)).OrderBy(t => t.x, Values.Comparer).ThenBy(t => t.i).Select(t => Values.Attach(c, t.x));
        return new JsonArray([.. sorted]);
    }

    /// <summary>Each element with the array of f's outputs for it (jq's sort_by, group_by... keys).</summary>
    private static List<(JsonNode? Key, JsonNode? Value)> Keyed(Ctx c, Env? e, JsonNode? v, Filter f, string what)
    {
        // jq 1.6: _impl(map([f])): map iterates first (so its errors come first), then the implementation wants an array.
        var list = new List<(JsonNode?, JsonNode?)>();
        Ops.Iterate(c, v, null, (x, _) =>
        {
            var keys = new JsonArray();
            f(c, e, x, null, (y, _) =>
            {
                keys.Add(Values.Attach(c, y));
                return true;
            });
            list.Add((keys, x));
            return true;
        });
        if (v is not JsonArray) throw JqError.Of($"Cannot index {Values.TypeName(v)} with number");
        _ = what;
        return list;
    }

    private static List<(JsonNode? Key, JsonNode? Value)> StableSort(List<(JsonNode? Key, JsonNode? Value)> list) =>
        list.Select((t, i) => (t, i)).OrderBy(x => x.t.Key, Values.Comparer).ThenBy(x => x.i).Select(x => x.t).ToList();

    private static void DefineCollections()
    {
        Def("length", (c, v) => Values.Kind(v) switch
        {
            JqKind.Null => Values.Num(0),
            JqKind.True or JqKind.False => throw JqError.Of($"{Values.Describe(v)} has no length"),
            JqKind.Number => Values.Num(Math.Abs(Values.Number(v))),
            JqKind.String => Values.Num(Values.CodepointLength(Values.String(v))),
            JqKind.Array => Values.Num(((JsonArray)v!).Count),
            _ => Values.Num(((JsonObject)v!).Count),
        });
        Def("keys", (c, v) => v switch
        {
            JsonObject o => new JsonArray([.. Values.SortedKeys(o).Select(k => (JsonNode?)Values.Str(k))]),
            JsonArray a => new JsonArray([.. Enumerable.Range(0, a.Count).Select(i => (JsonNode?)Values.Num(i))]),
            _ => throw JqError.Of($"{Values.Describe(v)} has no keys"),
        });
        Def("keys_unsorted", (c, v) => v switch
        {
            JsonObject o => new JsonArray([.. o.Select(kv => (JsonNode?)Values.Str(kv.Key))]),
            JsonArray a => new JsonArray([.. Enumerable.Range(0, a.Count).Select(i => (JsonNode?)Values.Num(i))]),
            _ => throw JqError.Of($"{Values.Describe(v)} has no keys"),
        });
        Def("has", (c, v, key) =>
        {
            if (v is JsonObject o && Values.TryString(key, out var name)) return Values.Bool(o.ContainsKey(name));
            if (v is JsonArray a && Values.TryNumber(key, out var d)) return Values.Bool(d >= 0 && d < a.Count);
            if (v is null && Values.Kind(key) is JqKind.String or JqKind.Number) return Values.Bool(false);
            throw JqError.Of($"Cannot check whether {Values.TypeName(v)} has a {Values.TypeName(key)} key");
        });
        Def("contains", (c, v, x) => Values.Bool(Contains(v, x, 0)));
        Def("add", (c, v) => Add(c, Elements(v)));
        Gen("any", 0, _ => AnyAll(Each, Identity, any: true));
        Gen("all", 0, _ => AnyAll(Each, Identity, any: false));
        Gen("any", 1, a => AnyAll(Each, a[0], any: true));
        Gen("all", 1, a => AnyAll(Each, a[0], any: false));
        Gen("any", 2, a => AnyAll(a[0], a[1], any: true));
        Gen("all", 2, a => AnyAll(a[0], a[1], any: false));
        Def("sort", (c, v) => SortedArray(c, v, "sorted"));
        Def("unique", (c, v) =>
        {
            if (v is not JsonArray) throw Ops.CannotIterate(v);
            var sorted = SortedArray(c, v, "sorted");
            var result = new JsonArray();
            JsonNode? last = null;
            var first = true;
            foreach (var x in sorted.ToList())
            {
                if (!first && Values.Compare(last, x) == 0) continue;
                first = false;
                last = x;
                result.Add(Values.Attach(c, x));
            }
            return result;
        });
        Def("min", (c, v) => MinMax(c, v, max: false));
        Def("max", (c, v) => MinMax(c, v, max: true));
        Gen("sort_by", 1, a => (c, e, v, p, k) =>
            k(new JsonArray([.. StableSort(Keyed(c, e, v, a[0], "sorted")).Select(t => Values.Attach(c, t.Value))]), Np(p)));
        Gen("group_by", 1, a => (c, e, v, p, k) => k(Groups(c, StableSort(Keyed(c, e, v, a[0], "grouped")), firstOnly: false), Np(p)));
        Gen("unique_by", 1, a => (c, e, v, p, k) => k(Groups(c, StableSort(Keyed(c, e, v, a[0], "grouped")), firstOnly: true), Np(p)));
        Gen("min_by", 1, a => (c, e, v, p, k) => k(MinMaxBy(c, Keyed(c, e, v, a[0], "compared"), max: false), Np(p)));
        Gen("max_by", 1, a => (c, e, v, p, k) => k(MinMaxBy(c, Keyed(c, e, v, a[0], "compared"), max: true), Np(p)));
        Gen("map", 1, a => (c, e, v, p, k) =>
        {
            var result = new JsonArray();
            if (!Ops.Iterate(c, v, null, (x, _) => a[0](c, e, x, null, (y, _) =>
            {
                c.CheckArray(result.Count + 1);
                result.Add(Values.Attach(c, y));
                return true;
            }))) return false;
            return k(result, Np(p));
        });
        Def("to_entries", (c, v) => v switch
        {
            JsonObject o => new JsonArray([.. o.Select(kv => (JsonNode?)new JsonObject { ["key"] = kv.Key, ["value"] = Values.Attach(c, kv.Value) })]),
            JsonArray arr => new JsonArray([.. arr.Select((x, i) => (JsonNode?)new JsonObject { ["key"] = i, ["value"] = Values.Attach(c, x) })]),
            _ => throw JqError.Of($"{Values.Describe(v)} has no keys"),
        });
        Def("from_entries", (c, v) =>
        {
            // jq 1.6: {(.key // .Key // .name // .Name): (if has("value") then .value else .Value end)}, added up.
            var result = new JsonObject();
            foreach (var entry in Elements(v))
            {
                JsonNode? key = null;
                foreach (var name in EntryKeyNames)
                {
                    key = Ops.Index(c, entry, Values.Str(name));
                    if (Values.Truthy(key)) break;
                }
                if (!Values.TryString(key, out var ks)) throw JqError.Of($"Cannot use {Values.Describe(key)} as object key");
                if (entry is not JsonObject eo) throw JqError.Of($"Cannot check whether {Values.TypeName(entry)} has a string key");
                result[ks] = Values.Attach(c, eo.ContainsKey("value") ? eo["value"] : eo["Value"]);
            }
            return result;
        });
        Def("flatten", (c, v) => Flatten(c, v, double.PositiveInfinity));
        Def("flatten", (c, v, depth) =>
        {
            var d = Num(depth);
            return d < 0 ? throw JqError.Of("flatten depth must not be negative") : Flatten(c, v, d);
        });
        Def("_indices", (c, v, x) => Ops.Index(c, v, x));
    }

    private static readonly Filter Each = static (c, e, v, p, k) => Ops.Iterate(c, v, null, k);
    private static readonly Filter Identity = static (c, e, v, p, k) => k(v, p);

    private static readonly string[] EntryKeyNames = ["key", "Key", "name", "Name"];

    private static bool Contains(JsonNode? a, JsonNode? b, int depth)
    {
        var ka = Values.Kind(a);
        var kb = Values.Kind(b);
        if (ka != kb) throw JqError.Of($"{Values.Describe(a)} and {Values.Describe(b)} cannot have their containment checked");
        Values.CheckDepth(depth, 10_000);
        switch (ka)
        {
            case JqKind.Object:
                {
                    var oa = (JsonObject)a!;
                    foreach (var (k, bv) in (JsonObject)b!)
                    {
                        if (!oa.TryGetPropertyValue(k, out var av)) return false;
                        if (Values.Kind(av) != Values.Kind(bv)) throw JqError.Of($"{Values.Describe(av)} and {Values.Describe(bv)} cannot have their containment checked");
                        if (!Contains(av, bv, depth + 1)) return false;
                    }
                    return true;
                }
            case JqKind.Array:
                {
                    var aa = (JsonArray)a!;
                    foreach (var bv in (JsonArray)b!)
                    {
                        var found = false;
                        foreach (var av in aa)
                        {
                            if (Values.Kind(av) == Values.Kind(bv) && Contains(av, bv, depth + 1)) { found = true; break; }
                        }
                        if (!found) return false;
                    }
                    return true;
                }
            case JqKind.String:
                return Values.String(a).Contains(Values.String(b), StringComparison.Ordinal);
            default:
                return Values.Equal(a, b);
        }
    }

    private static JsonNode? Add(Ctx c, List<JsonNode?> items)
    {
        var nonNull = items.Where(x => x is not null).ToList();
        if (nonNull.Count > 1 && nonNull.All(x => Values.Kind(x) == JqKind.String))
        {
            var total = 0L;
            foreach (var x in nonNull) total += Values.String(x).Length;
            if (total > c.Limits.MaxStringLength) c.CheckString(int.MaxValue);
            return Values.Str(string.Concat(nonNull.Select(Values.String)));
        }
        if (nonNull.Count > 1 && nonNull.All(x => x is JsonArray))
        {
            var result = new JsonArray();
            foreach (var x in nonNull)
            {
                foreach (var y in (JsonArray)x!) result.Add(Values.Attach(c, y));
                c.CheckArray(result.Count);
            }
            return result;
        }
        JsonNode? acc = null;
        foreach (var x in items)
        {
            c.Step();
            acc = Ops.Add(c, acc, x);
        }
        return acc;
    }

    /// <summary>any(g; cond) / all(g; cond) exactly as jq 1.6 defines them:
    /// [label $out | foreach g as $i (false; if . then break $out elif $i | cond then true else . end;
    /// if . then . else empty end)] | length == 1 (and all with the roles of true and false swapped, length == 0).
    /// So the generator stops at the output after the deciding one, and a cond with several outputs counts each.</summary>
    private static Filter AnyAll(Filter gen, Filter cond, bool any) => (c, e, v, p, k) =>
    {
        var token = c.NewToken();
        var state = !any;
        var emitted = 0;
        var r = gen(c, e, v, null, (x, _) =>
        {
            c.Step();
            if (state == any)
            {
                c.Stopping = token;
                return false;
            }
            var start = state;
            return cond(c, e, x, null, (y, _) =>
            {
                state = Values.Truthy(y) == any ? any : start;
                if (state == any) emitted++;
                return true;
            });
        });
        if (!r && !c.Claim(token)) return false;
        return k(Values.Bool(any ? emitted == 1 : emitted == 0), Np(p));
    };

    private static JsonNode? MinMax(Ctx c, JsonNode? v, bool max)
    {
        if (v is not JsonArray a) throw JqError.Of($"{Values.Describe(v)} cannot be compared, as it is not an array");
        if (a.Count == 0) return null;
        var best = a[0];
        for (var i = 1; i < a.Count; i++)
        {
            var cmp = Values.Compare(a[i], best);
            if (max ? cmp >= 0 : cmp < 0) best = a[i];
        }
        return best;
    }

    private static JsonNode? MinMaxBy(Ctx c, List<(JsonNode? Key, JsonNode? Value)> list, bool max)
    {
        if (list.Count == 0) return null;
        var best = list[0];
        for (var i = 1; i < list.Count; i++)
        {
            var cmp = Values.Compare(list[i].Key, best.Key);
            if (max ? cmp >= 0 : cmp < 0) best = list[i];
        }
        return best.Value;
    }

    private static JsonArray Groups(Ctx c, List<(JsonNode? Key, JsonNode? Value)> sorted, bool firstOnly)
    {
        var result = new JsonArray();
        JsonArray? group = null;
        JsonNode? lastKey = null;
        foreach (var (key, value) in sorted)
        {
            if (group is null || Values.Compare(lastKey, key) != 0)
            {
                if (firstOnly) result.Add(Values.Attach(c, value));
                else
                {
                    group = [];
                    result.Add(group);
                }
                group ??= [];
                lastKey = key;
                if (firstOnly) continue;
            }
            else if (firstOnly) continue;
            group.Add(Values.Attach(c, value));
        }
        return result;
    }

    private static JsonArray Flatten(Ctx c, JsonNode? v, double depth)
    {
        // jq 1.6: reduce .[] as $i ([]; ...): the top level may be an object (its values).
        var result = new JsonArray();
        Walk(Elements(v), depth, 0);
        return result;

        void Walk(IEnumerable<JsonNode?> arr, double d, int level)
        {
            Values.CheckDepth(level, c.Limits.MaxValueDepth);
            foreach (var x in arr)
            {
                c.Step();
                if (x is JsonArray inner && d > 0) Walk(inner, d - 1, level + 1);
                else
                {
                    result.Add(Values.Attach(c, x));
                    c.CheckArray(result.Count);
                }
            }
        }
    }

    // ---- generators (iterative: no stack growth per step) ---------------------------------------------------------

    private enum ActKind { Emit, Process, Throw, Stop }

    private readonly record struct Act(ActKind Kind, JsonNode? Value, Path? Path, JqError? Error = null);

    /// <summary>Runs a recursive generator with an explicit stack: expand turns one value into what it emits and
    /// which values are processed next, in order. A frame whose last act is a Process is dropped before that value is
    /// processed, so loops (until, while, repeat) run in constant space.</summary>
    private static bool Unfold(Ctx c, JsonNode? root, Path? rootPath, Func<JsonNode?, Path?, List<Act>> expand, Emit k)
    {
        var stack = new Stack<(List<Act> Acts, int Index)>();
        stack.Push((expand(root, rootPath), 0));
        while (stack.Count > 0)
        {
            var (acts, index) = stack.Pop();
            if (index >= acts.Count) continue;
            var act = acts[index];
            if (index + 1 < acts.Count) stack.Push((acts, index + 1));
            switch (act.Kind)
            {
                case ActKind.Emit:
                    if (!k(act.Value, act.Path)) return false;
                    break;
                case ActKind.Process:
                    c.Step();
                    if (stack.Count > 100_000) throw new JqLimitError("the program recursed more than 100000 levels deep");
                    stack.Push((expand(act.Value, act.Path), 0));
                    break;
                case ActKind.Throw:
                    throw act.Error!;
                case ActKind.Stop:
                    return false;
            }
        }
        return true;
    }

    /// <summary>Every output of f (with paths), then an error or a stop it ended with, as acts.</summary>
    private static void Collect(Ctx c, Env? e, JsonNode? v, Path? p, Filter f, List<Act> acts, Func<JsonNode?, Path?, bool>? keep = null, ActKind kind = ActKind.Process)
    {
        try
        {
            if (!f(c, e, v, p, (x, xp) =>
            {
                if (keep is null || keep(x, xp)) acts.Add(new Act(kind, x, xp));
                return true;
            })) acts.Add(new Act(ActKind.Stop, null, null));
        }
        catch (JqError error)
        {
            acts.Add(new Act(ActKind.Throw, null, null, error));
        }
    }

    private static bool Truthies(Ctx c, Env? e, JsonNode? v, Filter cond, List<bool> results, List<Act> acts)
    {
        try
        {
            if (!cond(c, e, v, null, (x, _) =>
            {
                results.Add(Values.Truthy(x));
                return true;
            }))
            {
                acts.Add(new Act(ActKind.Stop, null, null));
                return false;
            }
        }
        catch (JqError error)
        {
            acts.Add(new Act(ActKind.Throw, null, null, error));
            return false;
        }
        return true;
    }

    private static readonly Filter RecurseDefault = (c, e, v, p, k) => v is JsonArray or JsonObject ? Ops.Iterate(c, v, p, k) : true;

    private static void DefineGenerators()
    {
        Gen("recurse", 0, _ => Recurse(RecurseDefault, null));
        Gen("recurse", 1, a => Recurse(a[0], null));
        Gen("recurse", 2, a => Recurse(a[0], a[1]));
        // jq 1.6: def repeat(f): def _repeat: f, _repeat; _repeat; (f of the same input, again and again).
        Gen("repeat", 1, a => (c, e, v, p, k) =>
        {
            while (true)
            {
                c.Step();
                if (!a[0](c, e, v, p, k)) return false;
            }
        });
        // def _while: if cond then ., (update | _while) else empty end;  def _until: if cond then . else (update | _until) end;
        Gen("while", 2, a => Loop(a[0], a[1], emitWhen: true, continueWhen: true));
        Gen("until", 2, a => Loop(a[0], a[1], emitWhen: true, continueWhen: false));
        Gen("range", 2, a => (c, e, v, p, k) => a[0](c, e, v, null, (from, _) => a[1](c, e, v, null, (upto, _) =>
            Range(c, Num(from), Num(upto), 1, p, k))));
        Gen("range", 3, a => (c, e, v, p, k) => a[0](c, e, v, null, (from, _) => a[1](c, e, v, null, (upto, _) => a[2](c, e, v, null, (by, _) =>
            Range(c, Num(from), Num(upto), Num(by), p, k)))));
    }

    /// <summary>while/until: for each output of cond, the value is emitted when it is emitWhen, and update's outputs
    /// are processed next when it is continueWhen.</summary>
    private static Filter Loop(Filter cond, Filter update, bool emitWhen, bool continueWhen) => (c, e, v, p, k) => Unfold(c, v, p, (x, xp) =>
    {
        var acts = new List<Act>();
        var truths = new List<bool>();
        var ok = Truthies(c, e, x, cond, truths, acts);
        Act? tail = ok ? null : acts[^1];
        acts.Clear();
        foreach (var t in truths)
        {
            if (t == emitWhen) acts.Add(new Act(ActKind.Emit, x, xp));
            if (t == continueWhen) Collect(c, e, x, xp, update, acts);
        }
        if (tail is { } last) acts.Add(last);
        return acts;
    }, k);

    private static Filter Recurse(Filter f, Filter? cond) => (c, e, v, p, k) => Unfold(c, v, p, (x, xp) =>
    {
        var acts = new List<Act> { new(ActKind.Emit, x, xp) };
        if (cond is null)
        {
            Collect(c, e, x, xp, f, acts);
            return acts;
        }
        var children = new List<Act>();
        Collect(c, e, x, xp, f, children);
        foreach (var child in children)
        {
            if (child.Kind != ActKind.Process) { acts.Add(child); continue; }
            var truths = new List<bool>();
            var ok = Truthies(c, e, child.Value, cond, truths, acts);
            foreach (var t in truths)
                if (t) acts.Add(child);
            if (!ok) break;
        }
        return acts;
    }, k);

    private static bool Range(Ctx c, double from, double upto, double by, Path? p, Emit k)
    {
        if (by > 0)
        {
            for (var x = from; x < upto; x += by)
            {
                c.Step();
                if (!k(Values.Num(x), Np(p))) return false;
            }
        }
        else if (by < 0)
        {
            for (var x = from; x > upto; x += by)
            {
                c.Step();
                if (!k(Values.Num(x), Np(p))) return false;
            }
        }
        return true;
    }

    // ---- math ----------------------------------------------------------------------------------------------------

    private static void DefineMath()
    {
        Math1("floor", Math.Floor);
        Math1("ceil", Math.Ceiling);
        Math1("round", x => Math.Round(x, MidpointRounding.AwayFromZero));
        Math1("rint", x => Math.Round(x, MidpointRounding.ToEven));
        Math1("nearbyint", x => Math.Round(x, MidpointRounding.ToEven));
        Math1("trunc", Math.Truncate);
        Math1("fabs", Math.Abs);
        Math1("sqrt", Math.Sqrt);
        Math1("cbrt", Math.Cbrt);
        Math1("exp", Math.Exp);
        Math1("exp2", x => Math.Pow(2, x));
        Math1("exp10", x => Math.Pow(10, x));
        Math1("pow10", x => Math.Pow(10, x));
        Math1("expm1", x => Math.Exp(x) - 1);
        Math1("log", Math.Log);
        Math1("log2", Math.Log2);
        Math1("log10", Math.Log10);
        Math1("log1p", x => Math.Log(1 + x));
        Math1("logb", x => Math.Floor(Math.Log2(Math.Abs(x))));
        Math1("significand", x => x == 0 || !double.IsFinite(x) ? x : x / Math.Pow(2, Math.Floor(Math.Log2(Math.Abs(x)))));
        Math1("sin", Math.Sin);
        Math1("cos", Math.Cos);
        Math1("tan", Math.Tan);
        Math1("asin", Math.Asin);
        Math1("acos", Math.Acos);
        Math1("atan", Math.Atan);
        Math1("sinh", Math.Sinh);
        Math1("cosh", Math.Cosh);
        Math1("tanh", Math.Tanh);
        Math1("asinh", Math.Asinh);
        Math1("acosh", Math.Acosh);
        Math1("atanh", Math.Atanh);
        Math2("pow", Math.Pow);
        Math2("atan2", Math.Atan2);
        Math2("fmod", (x, y) => Math.IEEERemainder(x, y) is var r && (r != 0 && Math.Sign(r) != Math.Sign(x)) ? r + Math.Abs(y) * Math.Sign(x) : x % y);
        Math2("fmin", Math.Min);
        Math2("fmax", Math.Max);
        Math2("fdim", (x, y) => x > y ? x - y : 0);
        Math2("copysign", Math.CopySign);
        Math2("ldexp", (x, y) => x * Math.Pow(2, y));
        Math2("scalb", (x, y) => x * Math.Pow(2, y));
        Math2("scalbln", (x, y) => x * Math.Pow(2, y));
        Math2("nexttoward", (x, y) => x == y ? y : y > x ? Math.BitIncrement(x) : Math.BitDecrement(x));
        Math2("nextafter", (x, y) => x == y ? y : y > x ? Math.BitIncrement(x) : Math.BitDecrement(x));
        Def("infinite", (c, v) => Values.Num(double.PositiveInfinity));
        Def("nan", (c, v) => Values.Num(double.NaN));
        Def("isinfinite", (c, v) => Values.Bool(double.IsInfinity(Num(v))));
        Def("isnan", (c, v) => Values.Bool(double.IsNaN(Num(v))));
        Def("isnormal", (c, v) => Values.Bool(double.IsNormal(Num(v))));
    }

    // ---- misc: types, dates --------------------------------------------------------------------------------------

    private static void DefineMisc()
    {
        Def("type", (c, v) => Values.Str(Values.TypeName(v)));
        Def("gmtime", (c, v) => Dates.GmTime(v));
        Def("localtime", (c, v) => Dates.GmTime(v));
        Def("mktime", (c, v) => Values.Num(Dates.MkTime(v)));
        Def("strftime", (c, v, f) => Values.Str(Dates.StrFTime(v, f)));
        Def("strflocaltime", (c, v, f) => Values.Str(Dates.StrFTime(v, f)));
        Def("strptime", (c, v, f) => Dates.StrPTime(v, f));
    }

    /// <summary>The builtins written in jq, as jq 1.6 defines them (or as the manual and jq 1.7 do where 1.6 is wrong;
    /// docs/jq.md lists those).</summary>
    public const string Library = """
        def values: select(. != null);
        def nulls: select(. == null);
        def booleans: select(type == "boolean");
        def numbers: select(type == "number");
        def strings: select(type == "string");
        def arrays: select(type == "array");
        def objects: select(type == "object");
        def iterables: select(type|. == "array" or . == "object");
        def scalars: select(type|. != "array" and . != "object");
        def finites: select(isinfinite or isnan | not);
        def normals: select(isnormal);
        def map_values(f): .[] |= f;
        def with_entries(f): to_entries | map(f) | from_entries;
        def del(f): delpaths([path(f)]);
        def paths: path(..) | select(length > 0);
        def paths(node_filter): . as $dot | paths | select(. as $p | $dot | getpath($p) | node_filter);
        def leaf_paths: paths(scalars);
        def in(xs): . as $x | xs | has($x);
        def inside(xs): . as $x | xs | contains($x);
        def range($x): range(0; $x);
        def first: .[0];
        def last: .[-1];
        def nth($n): .[$n];
        def last(f): reduce f as $x (null; $x);
        def nth($n; f): if $n < 0 then error("Out of bounds negative array index") else last(limit($n + 1; f)) end;
        def reverse: [.[length - 1 - range(0; length)]];
        def indices($i): if type == "array" and ($i|type) == "array" then .[$i]
            elif type == "array" then .[[$i]]
            elif ($i|type) == "string" and type == "string" then _strindices($i)
            else .[$i] end;
        def index($i): indices($i) | .[0];
        def rindex($i): indices($i) | .[-1:][0];
        def match(re): match(re; null);
        def test(re): test(re; null);
        def capture(re; flags): match(re; flags) | _capture;
        def capture(re): capture(re; null);
        def scan(re; flags): match(re; "g" + flags) | if (.captures | length > 0) then [.captures | .[] | .string] else .string end;
        def scan(re): scan(re; null);
        def split(re; flags): splits_regex(re; flags);
        def splits($re; flags): split($re; flags) | .[];
        def splits($re): splits($re; null);
        def sub(re; str): _sub(re; str; "");
        def sub(re; str; flags): _sub(re; str; flags);
        def gsub(re; str): _sub(re; str; "g");
        def gsub(re; str; flags): _sub(re; str; flags + "g");
        def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
        def fromdateiso8601: strptime("%Y-%m-%dT%H:%M:%SZ") | mktime;
        def todate: todateiso8601;
        def fromdate: fromdateiso8601;
        def date: todate;
        def dateadd(u; n): . + n;
        def datesub(u; n): . - n;
        def combinations: if length == 0 then [] else .[0][] as $x | (.[1:] | combinations) as $w | [$x] + $w end;
        def combinations(n): . as $dot | [range(n)] | map($dot) | combinations;
        def walk(f): . as $in
            | if type == "object" then reduce keys_unsorted[] as $key ( {}; . + { ($key): ($in[$key] | walk(f)) } ) | f
              elif type == "array" then map(walk(f)) | f
              else f end;
        def transpose: if . == [] then [] else . as $in | (map(length) | max) as $max
            | [range(0; $max) as $j | [range(0; $in | length) as $i | $in[$i][$j]]] end;
        def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
        def fromstream(f): { x: null, e: false } as $init
            | foreach f as $i ($init;
                if .e then $init else . end
                | if $i | length == 2
                  then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
                  else setpath(["e"]; $i[0] | length == 1) end;
                if .e then .x else empty end);
        def truncate_stream(stream): . as $n | null | stream | . as $input | if (.[0] | length) > $n then setpath([0]; .[0][$n:]) else empty end;
        def IN(s): any(s == .; .);
        def IN(src; s): any(src == s; .);
        def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] |= $row);
        def INDEX(idx_expr): INDEX(.[]; idx_expr);
        """;
}
