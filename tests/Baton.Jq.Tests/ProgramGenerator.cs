using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq.Tests;

/// <summary>A deterministic generator of jq programs over the subset Baton supports (and of input documents), for
/// the differential test and the property tests. Programs are built from a small grammar; bound variables and local
/// functions are only used where they are in scope, so most programs compile and many run without error.</summary>
internal sealed class ProgramGenerator(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Atoms =
    [
        ".", ".a", ".b", ".c", ".[0]", ".[-1]", ".[1:]", ".[:2]", ".[]?", ".a?", ".b[0]?", ".[\"x y\"]", "..", "1", "2.5", "-3", "0",
        "\"x\"", "\"a,b\"", "\"Ab\"", "null", "true", "false", "[]", "{}", "[1,2]", "{\"a\":1}", "empty",
    ];

    private static readonly string[] Unary =
    [
        "length", "keys", "keys_unsorted", "type", "tostring", "tojson", "sort", "unique", "add", "reverse", "min", "max",
        "floor", "sqrt", "not", "values", "numbers", "strings", "arrays", "objects", "scalars", "iterables", "booleans", "nulls",
        "to_entries", "from_entries", "tonumber", "ascii_downcase", "ascii_upcase", "utf8bytelength", "flatten", "any", "all",
        "first", "last", "[paths]", "[leaf_paths]", "tojson | fromjson", "@base64", "@base64d", "@uri", "@html", "@csv", "@tsv",
        "@sh", "@json", "@text", "[.[]?]", "[..]", "[tostream]", "explode", "join(\",\")", "split(\",\")",
        "test(\"a\")", "test(\"B\"; \"i\")", "ltrimstr(\"a\")", "rtrimstr(\"b\")", "startswith(\"a\")", "endswith(\"b\")",
        "has(\"a\")", "has(0)", "contains(\"a\")", "contains([1])", "contains({\"a\":1})", "inside([1,2,3])", "indices(1)",
        "index(\"a\")", "del(.a)", "del(.[0])", "getpath([\"a\"])", "getpath([\"a\",0])", "to_entries | from_entries",
        "with_entries(.value |= tostring)", "map(. + 1)?", "map_values(tostring)", "[splits(\",\")]", "sub(\"a\"; \"z\")",
        "gsub(\"[a-z]\"; \"_\")", "[match(\"a\"; \"g\").offset]", "capture(\"(?<l>[a-z])\")", "[scan(\"[0-9]\")]",
        "[range(3)]", "[range(0; 5; 2)]", "tostream", "gmtime?", "todate?", "error", "error(\"boom\")", "error(null)",
        "[limit(2; .[]?)]", "first(.[]?)", "isempty(.[]?)", "[.[]?] | length",
        "transpose?", "walk(if type == \"number\" then . + 1 else . end)", "combinations?", "group_by(.)?", "unique_by(length)?",
        "min_by(.)?", "max_by(.)?", "sort_by(.)?", "splits(\"a\")?", "ltrimstr(1)", "tojson | length",
    ];

    private static readonly string[] BinaryOps = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "//"];

    private static readonly string[] AssignOps = ["=", "|=", "+=", "-=", "*=", "//="];

    private static readonly string[] Paths = [".a", ".b", ".[0]", ".a.b", ".[]?", ".a[]?", "(.a, .b)", ".[1:]"];

    public string Program(int depth = 4) => Expr(depth, [], []);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string Expr(int depth, List<string> vars, List<string> funcs)
    {
        if (depth <= 0 || _random.NextDouble() < 0.25) return Atom(vars, funcs);
        var d = depth - 1;
        string E() => Expr(d, vars, funcs);
        switch (_random.Next(26))
        {
            case 0: return $"{E()} | {E()}";
            case 1: return $"{E()}, {E()}";
            case 2: case 3: return $"({E()}) {Pick(BinaryOps)} ({E()})";
            case 4: return $"[{E()}]";
            case 5: return $"{{a: ({E()}), \"b\": ({E()})}}";
            case 6: return $"{{({E()} | tostring): ({E()})}}";
            case 7: return $"if {E()} then {E()} else {E()} end";
            case 8: return $"if {E()} then {E()} elif {E()} then {E()} else {E()} end";
            case 9: return $"try ({E()}) catch \"caught\"";
            case 10: return $"({E()})?";
            case 11: return $"select({E()})";
            case 12: return $"map({E()})";
            case 13: return $"[.[]? | {E()}]";
            case 14:
                {
                    var v = "v" + vars.Count;
                    var source = E();
                    return $"({source}) as ${v} | {Expr(d, [.. vars, v], funcs)}";
                }
            case 15:
                {
                    var v = "x" + vars.Count;
                    return $"reduce ({E()}) as ${v} ({E()}; {Expr(d, [.. vars, v], funcs)})";
                }
            case 16:
                {
                    var v = "y" + vars.Count;
                    return $"[foreach ({E()}) as ${v} ({E()}; {Expr(d, [.. vars, v], funcs)}; [., ${v}])]";
                }
            case 17:
                {
                    var f = "f" + funcs.Count;
                    var body = Expr(d, vars, funcs);
                    return $"def {f}: {body}; {Expr(d, vars, [.. funcs, f])}";
                }
            case 18: return $"\"<\\({E()})>\"";
            case 19: return $"{Pick(Paths)} {Pick(AssignOps)} ({E()})";
            case 20: return $"[limit(2; {E()})]";
            case 21: return $"first({E()})";
            case 22: return $"{Pick(["sort_by", "group_by", "unique_by", "min_by", "max_by", "any", "all"])}({E()})";
            case 23: return $"label $out | {E()}, break $out";
            case 24: return $"[path({Pick(Paths)})]";
            default: return $"{E()} | {Pick(Unary)}";
        }
    }

    private string Atom(List<string> vars, List<string> funcs)
    {
        var roll = _random.NextDouble();
        if (vars.Count > 0 && roll < 0.2) return "$" + Pick(vars);
        if (funcs.Count > 0 && roll < 0.3) return Pick(funcs);
        if (roll < 0.55) return Pick(Unary);
        return Pick(Atoms);
    }

    private static readonly string[] Keys = ["a", "b", "c", "x y"];
    private static readonly string[] Strings = ["", "x", "abc", "a,b", "Ab", "1", "2.5", "a1b2", "hello world", "é"];

    public JsonNode? Document(int depth = 3)
    {
        var roll = _random.Next(depth <= 0 ? 6 : 9);
        switch (roll)
        {
            case 0: return null;
            case 1: return JsonValue.Create(_random.Next(2) == 0);
            case 2: return JsonValue.Create(_random.Next(-3, 11));
            case 3: return JsonValue.Create(Pick([0.5, 1.5, -2.25, 100.0, 1e3, 0.1]));
            case 4: case 5: return JsonValue.Create(Pick(Strings));
            case 6:
            case 7:
                {
                    var a = new JsonArray();
                    var n = _random.Next(5);
                    for (var i = 0; i < n; i++) a.Add(Document(depth - 1));
                    return a;
                }
            default:
                {
                    var o = new JsonObject();
                    var n = _random.Next(4);
                    for (var i = 0; i < n; i++) o[Pick(Keys)] = Document(depth - 1);
                    return o;
                }
        }
    }

    public static string Show(JsonNode? n) => n?.ToJsonString() ?? "null";

    public static string Describe(IEnumerable<string> parts) => string.Join(" ", parts);

    public static string Number(double d) => d.ToString(CultureInfo.InvariantCulture);

    public static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s) sb.Append(c == '\n' ? "\\n" : c.ToString());
        return sb.ToString();
    }
}
