using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>jq's kinds, in jq's sort order.</summary>
internal enum JqKind
{
    Null = 0,
    False = 1,
    True = 2,
    Number = 3,
    String = 4,
    Array = 5,
    Object = 6,
}

/// <summary>A jq error raised by the program (catchable by try).</summary>
internal sealed class JqError(JsonNode? value) : Exception(Values.ErrorMessage(value))
{
    public JsonNode? Value { get; } = value;

    public static JqError Of(string message) => new(JsonValue.Create(message));
}

/// <summary>A bound of <see cref="JqLimits"/> was hit; try/catch does not catch it.</summary>
internal sealed class JqLimitError(string message) : Exception(message);

/// <summary>Reading, comparing, printing and building jq values over System.Text.Json nodes. Values are treated as
/// immutable: nothing built is changed after it is emitted, and a node that already has a parent is copied before
/// it goes into a new container.</summary>
internal static class Values
{
    /// <summary>Set when this thread made a number that is not finite (those need converting on the way out).</summary>
    [ThreadStatic]
    public static bool NonFiniteMade;

    public static JqKind Kind(JsonNode? n)
    {
        switch (n)
        {
            case null: return JqKind.Null;
            case JsonObject: return JqKind.Object;
            case JsonArray: return JqKind.Array;
            default:
                return n.GetValueKind() switch
                {
                    JsonValueKind.String => JqKind.String,
                    JsonValueKind.Number => JqKind.Number,
                    JsonValueKind.True => JqKind.True,
                    JsonValueKind.False => JqKind.False,
                    _ => JqKind.Null,
                };
        }
    }

    public static string TypeName(JqKind k) => k switch
    {
        JqKind.Null => "null",
        JqKind.False or JqKind.True => "boolean",
        JqKind.Number => "number",
        JqKind.String => "string",
        JqKind.Array => "array",
        _ => "object",
    };

    public static string TypeName(JsonNode? n) => TypeName(Kind(n));

    public static bool Truthy(JsonNode? n) => Kind(n) is not (JqKind.Null or JqKind.False);

    public static JsonNode Bool(bool b) => JsonValue.Create(b);

    public static JsonNode Num(double d)
    {
        if (!double.IsFinite(d)) NonFiniteMade = true;
        return JsonValue.Create(d);
    }

    public static JsonNode Str(string s) => JsonValue.Create(s);

    public static bool TryNumber(JsonNode? n, out double d)
    {
        if (n is JsonValue v)
        {
            if (v.TryGetValue(out d)) return true;
            if (v.GetValueKind() == JsonValueKind.Number)
            {
                if (v.TryGetValue(out long l)) { d = l; return true; }
                if (v.TryGetValue(out int i)) { d = i; return true; }
                if (v.TryGetValue(out decimal m)) { d = (double)m; return true; }
                if (v.TryGetValue(out float f)) { d = f; return true; }
                if (v.TryGetValue(out ulong ul)) { d = ul; return true; }
                if (v.TryGetValue(out uint ui)) { d = ui; return true; }
                if (v.TryGetValue(out short s)) { d = s; return true; }
                if (v.TryGetValue(out byte b)) { d = b; return true; }
                d = double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
                return true;
            }
        }
        d = 0;
        return false;
    }

    public static bool TryString(JsonNode? n, out string s)
    {
        if (n is JsonValue v)
        {
            if (v.TryGetValue(out string? str)) { s = str; return true; }
            if (v.GetValueKind() == JsonValueKind.String)
            {
                using var doc = JsonDocument.Parse(v.ToJsonString());
                s = doc.RootElement.GetString() ?? "";
                return true;
            }
        }
        s = "";
        return false;
    }

    public static double Number(JsonNode? n) => TryNumber(n, out var d) ? d : throw new InvalidOperationException("not a number");

    public static string String(JsonNode? n) => TryString(n, out var s) ? s : throw new InvalidOperationException("not a string");

    /// <summary>The node itself when it is free to go into a new container, else a copy.</summary>
    public static JsonNode? Attach(Ctx ctx, JsonNode? n) =>
        n is null ? null : n.Parent is null && !ctx.IsForeign(n) ? n : Clone(n, 0, ctx.Limits.MaxValueDepth);

    public static JsonNode Clone(JsonNode n, int depth, int maxDepth)
    {
        switch (n)
        {
            case JsonObject o:
                {
                    CheckDepth(depth, maxDepth);
                    var copy = new JsonObject();
                    foreach (var (k, v) in o) copy[k] = v is null ? null : Clone(v, depth + 1, maxDepth);
                    return copy;
                }
            case JsonArray a:
                {
                    CheckDepth(depth, maxDepth);
                    var copy = new JsonArray();
                    foreach (var v in a) copy.Add(v is null ? null : Clone(v, depth + 1, maxDepth));
                    return copy;
                }
            default:
                return n.DeepClone();
        }
    }

    public static void CheckDepth(int depth, int maxDepth)
    {
        if (depth >= maxDepth) throw new JqLimitError($"value nested more than {maxDepth} levels deep");
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new JqLimitError("value nested too deeply for the stack");
    }

    // ---- order and equality -----------------------------------------------------------------------------------

    public static int Compare(JsonNode? a, JsonNode? b) => Compare(a, b, 0);

    private static int Compare(JsonNode? a, JsonNode? b, int depth)
    {
        var ka = Kind(a);
        var kb = Kind(b);
        if (ka != kb) return ka < kb ? -1 : 1;
        switch (ka)
        {
            case JqKind.Number:
                {
                    var x = Number(a);
                    var y = Number(b);
                    // jq 1.6 compares with <, so nan sorts below every number.
                    return x < y ? -1 : x == y ? 0 : x > y ? 1 : double.IsNaN(x) ? -1 : 1;
                }
            case JqKind.String:
                return CompareStrings(String(a), String(b));
            case JqKind.Array:
                {
                    CheckDepth(depth, 10_000);
                    var x = (JsonArray)a!;
                    var y = (JsonArray)b!;
                    for (var i = 0; ; i++)
                    {
                        if (i == x.Count) return i == y.Count ? 0 : -1;
                        if (i == y.Count) return 1;
                        var c = Compare(x[i], y[i], depth + 1);
                        if (c != 0) return c;
                    }
                }
            case JqKind.Object:
                {
                    CheckDepth(depth, 10_000);
                    var x = (JsonObject)a!;
                    var y = (JsonObject)b!;
                    var kx = SortedKeys(x);
                    var ky = SortedKeys(y);
                    for (var i = 0; ; i++)
                    {
                        if (i == kx.Count) { if (i != ky.Count) return -1; break; }
                        if (i == ky.Count) return 1;
                        var c = CompareStrings(kx[i], ky[i]);
                        if (c != 0) return c;
                    }
                    foreach (var k in kx)
                    {
                        var c = Compare(x[k], y[k], depth + 1);
                        if (c != 0) return c;
                    }
                    return 0;
                }
            default:
                return 0;
        }
    }

    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        var ka = Kind(a);
        if (ka != Kind(b)) return false;
        return ka switch
        {
            JqKind.Number => Number(a) == Number(b),
            JqKind.String => String(a) == String(b),
            JqKind.Array or JqKind.Object => Compare(a, b) == 0,
            _ => true,
        };
    }

    /// <summary>jq orders strings by their UTF-8 bytes, which is code point order (UTF-16 order differs above U+D7FF).</summary>
    public static int CompareStrings(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int x = a[i], y = b[i];
            if (x == y) continue;
            if (x >= 0xD800 && y >= 0xD800) { x = Fix(x); y = Fix(y); }
            return x < y ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);

        static int Fix(int c) => c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    public static List<string> SortedKeys(JsonObject o)
    {
        var keys = new List<string>(o.Count);
        foreach (var kv in o) keys.Add(kv.Key);
        keys.Sort(CompareStrings);
        return keys;
    }

    public static readonly Comparer<JsonNode?> Comparer = Comparer<JsonNode?>.Create(Compare);

    // ---- printing -----------------------------------------------------------------------------------------------

    /// <summary>A number as jq 1.6 prints it: shortest round-trip digits, integers without ".0", exponents as "1e+17".</summary>
    public static string FormatNumber(double d)
    {
        if (double.IsNaN(d)) return "null";
        if (d > double.MaxValue) d = double.MaxValue;
        if (d < -double.MaxValue) d = -double.MaxValue;
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        // Shortest digits that round-trip.
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var neg = shortest[0] == '-';
        if (neg) shortest = shortest[1..];
        string digits;
        int exp;
        var e = shortest.IndexOfAny(['E', 'e']);
        var mant = e >= 0 ? shortest[..e] : shortest;
        exp = e >= 0 ? int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mant.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            digits = mant[..dot] + mant[(dot + 1)..];
            exp += dot;
        }
        else
        {
            digits = mant;
            exp += mant.Length;
        }
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; exp--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var decpt = exp; // digits d1d2... times 10^(decpt - len)
        var sb = new StringBuilder(24);
        if (neg) sb.Append('-');
        if (decpt <= -4 || decpt > digits.Length + 15)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e');
            var x = decpt - 1;
            if (x < 0) { sb.Append('-'); x = -x; } else sb.Append('+');
            if (x < 10) sb.Append('0');
            sb.Append(x.ToString(CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0)
        {
            sb.Append("0.").Append('0', -decpt).Append(digits);
        }
        else if (decpt >= digits.Length)
        {
            sb.Append(digits).Append('0', decpt - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        }
        return sb.ToString();
    }

    public static string ToJson(JsonNode? n, int maxDepth = 10_000)
    {
        var sb = new StringBuilder();
        WriteJson(sb, n, 0, maxDepth);
        return sb.ToString();
    }

    public static void WriteJson(StringBuilder sb, JsonNode? n, int depth, int maxDepth)
    {
        switch (Kind(n))
        {
            case JqKind.Null: sb.Append("null"); break;
            case JqKind.False: sb.Append("false"); break;
            case JqKind.True: sb.Append("true"); break;
            case JqKind.Number: sb.Append(FormatNumber(Number(n))); break;
            case JqKind.String: WriteString(sb, String(n)); break;
            case JqKind.Array:
                {
                    CheckDepth(depth, maxDepth);
                    sb.Append('[');
                    var first = true;
                    foreach (var v in (JsonArray)n!)
                    {
                        if (!first) sb.Append(',');
                        first = false;
                        WriteJson(sb, v, depth + 1, maxDepth);
                    }
                    sb.Append(']');
                    break;
                }
            default:
                {
                    CheckDepth(depth, maxDepth);
                    sb.Append('{');
                    var first = true;
                    foreach (var (k, v) in (JsonObject)n!)
                    {
                        if (!first) sb.Append(',');
                        first = false;
                        WriteString(sb, k);
                        sb.Append(':');
                        WriteJson(sb, v, depth + 1, maxDepth);
                    }
                    sb.Append('}');
                    break;
                }
        }
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c == 0x7F) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) sb.Append('\uFFFD');
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>A value in an error message, cut as jq 1.6 cuts it (at most 11 characters, then "...").</summary>
    public static string Trunc(JsonNode? n)
    {
        var s = ToJson(n);
        return s.Length > 14 ? s[..11] + "..." : s;
    }

    /// <summary>"type (value)", as jq's messages name a value.</summary>
    public static string Describe(JsonNode? n) => $"{TypeName(n)} ({Trunc(n)})";

    public static string ErrorMessage(JsonNode? value) =>
        TryString(value, out var s) ? s : $"{ToJson(value)} (not a string)";

    public static string ToText(JsonNode? n) => TryString(n, out var s) ? s : ToJson(n);

    // ---- strings as code points --------------------------------------------------------------------------------

    public static bool HasSurrogates(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static int CodepointLength(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        var n = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>UTF-16 index of the given code point index (clamped to the string).</summary>
    public static int Utf16Index(string s, int codepoints)
    {
        if (!HasSurrogates(s)) return Math.Clamp(codepoints, 0, s.Length);
        var i = 0;
        for (var n = 0; n < codepoints && i < s.Length; n++)
            i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        return i;
    }

    public static int CodepointIndex(string s, int utf16)
    {
        if (!HasSurrogates(s)) return utf16;
        var n = 0;
        for (var i = 0; i < utf16 && i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    public static int Utf8Index(string s, int utf16) => Encoding.UTF8.GetByteCount(s.AsSpan(0, utf16));

    /// <summary>The value with every number that is not finite replaced as jq prints it (nan as null, infinities
    /// as the largest doubles); the node itself when it has none.</summary>
    public static JsonNode? Sanitize(JsonNode? n) => HasNonFinite(n, 0) ? Replace(n) : n;

    private static bool HasNonFinite(JsonNode? n, int depth)
    {
        switch (n)
        {
            case JsonObject o:
                if (depth > 10_000) return false;
                foreach (var (_, v) in o)
                    if (HasNonFinite(v, depth + 1)) return true;
                return false;
            case JsonArray a:
                if (depth > 10_000) return false;
                foreach (var v in a)
                    if (HasNonFinite(v, depth + 1)) return true;
                return false;
            case JsonValue v:
                return v.TryGetValue(out double d) && !double.IsFinite(d);
            default:
                return false;
        }
    }

    private static JsonNode? Replace(JsonNode? n)
    {
        switch (n)
        {
            case JsonObject o:
                {
                    var copy = new JsonObject();
                    foreach (var (k, v) in o) copy[k] = Replace(v);
                    return copy;
                }
            case JsonArray a:
                {
                    var copy = new JsonArray();
                    foreach (var v in a) copy.Add(Replace(v));
                    return copy;
                }
            case JsonValue v when v.TryGetValue(out double d) && !double.IsFinite(d):
                return double.IsNaN(d) ? null : JsonValue.Create(d > 0 ? double.MaxValue : -double.MaxValue);
            default:
                return n?.DeepClone();
        }
    }
}
