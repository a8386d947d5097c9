using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Baton.Jq;

/// <summary>jq's regular expressions (Oniguruma, Perl syntax) on .NET's Regex: ^ and $ match at the text's ends,
/// "." matches a newline only with "p", POSIX bracket classes are translated, capture groups are reported in the
/// order of their opening parentheses, offsets are in code points, and every match has a time limit.</summary>
internal static class Regexes
{
    private sealed record Compiled(Regex Regex, (string? Name, int Number)[] Groups);

    private static readonly ConcurrentDictionary<(string, RegexOptions, TimeSpan), Compiled> Cache = new();

    private static (RegexOptions Options, bool Global, bool SkipEmpty) Flags(JsonNode? flags)
    {
        var options = RegexOptions.CultureInvariant;
        bool global = false, skipEmpty = false;
        if (flags is null) return (options, global, skipEmpty);
        if (!Values.TryString(flags, out var f)) throw JqError.Of($"{Values.Describe(flags)} is not a string");
        foreach (var c in f)
        {
            switch (c)
            {
                case 'g': global = true; break;
                case 'i': options |= RegexOptions.IgnoreCase; break;
                case 'x': options |= RegexOptions.IgnorePatternWhitespace; break;
                case 'n': skipEmpty = true; break;
                case 's': break;
                case 'p': options |= RegexOptions.Singleline; break;
                case 'l': break;
                default: throw JqError.Of($"{f} is not a valid modifier string");
            }
        }
        return (options, global, skipEmpty);
    }

    private static Compiled Get(Ctx ctx, string pattern, RegexOptions options)
    {
        var key = (pattern, options, ctx.Limits.RegexTimeout);
        if (Cache.TryGetValue(key, out var hit)) return hit;
        Compiled compiled;
        try
        {
            var translated = Translate(pattern, out var groups);
            var regex = new Regex(translated, options, ctx.Limits.RegexTimeout);
            var numbered = 0;
            var list = new (string? Name, int Number)[groups.Count];
            for (var i = 0; i < groups.Count; i++)
                list[i] = groups[i] is { } name ? (name, regex.GroupNumberFromName(name)) : (null, ++numbered);
            compiled = new Compiled(regex, list);
        }
        catch (ArgumentException e)
        {
            throw JqError.Of($"{pattern} (at offset 0) is not a valid regex: {e.Message}");
        }
        if (Cache.Count > 512) Cache.Clear();
        Cache[key] = compiled;
        return compiled;
    }

    private static readonly (string Posix, string Net)[] PosixClasses =
    [
        ("[:alpha:]", "a-zA-Z"), ("[:digit:]", "0-9"), ("[:alnum:]", "a-zA-Z0-9"), ("[:upper:]", "A-Z"), ("[:lower:]", "a-z"),
        ("[:space:]", "\\s"), ("[:xdigit:]", "0-9A-Fa-f"), ("[:punct:]", "!-/:-@\\[-`{-~"), ("[:word:]", "\\w"),
        ("[:blank:]", " \\t"), ("[:cntrl:]", "\\x00-\\x1f\\x7f"), ("[:print:]", "\\x20-\\x7e"), ("[:graph:]", "\\x21-\\x7e"),
    ];

    /// <summary>Oniguruma syntax that .NET spells differently; lists the capture groups (name or null) in order.</summary>
    private static string Translate(string pattern, out List<string?> groups)
    {
        groups = [];
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var n = pattern[i + 1];
                if (n == 'h') sb.Append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                else if (n == 'H') sb.Append("[^0-9a-fA-F]");
                else sb.Append(c).Append(n);
                i++;
                continue;
            }
            if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                {
                    var found = false;
                    foreach (var (posix, net) in PosixClasses)
                    {
                        if (string.CompareOrdinal(pattern, i, posix, 0, posix.Length) == 0)
                        {
                            sb.Append(net);
                            i += posix.Length - 1;
                            found = true;
                            break;
                        }
                    }
                    if (found) continue;
                }
                if (c == ']') inClass = false;
                sb.Append(c);
                continue;
            }
            if (c == '[')
            {
                inClass = true;
                sb.Append(c);
                if (i + 1 < pattern.Length && pattern[i + 1] == '^') { sb.Append('^'); i++; }
                if (i + 1 < pattern.Length && pattern[i + 1] == ']') { sb.Append(']'); i++; }
                continue;
            }
            if (c == '(')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                {
                    // (?<name>...), (?'name'...), (?P<name>...) capture; every other (? group does not.
                    var j = i + 2;
                    if (j < pattern.Length && pattern[j] == 'P') j++;
                    if (j < pattern.Length && (pattern[j] == '<' || pattern[j] == '\'') && j + 1 < pattern.Length && pattern[j + 1] is not ('=' or '!'))
                    {
                        var close = pattern[j] == '<' ? '>' : '\'';
                        var end = pattern.IndexOf(close, j + 1);
                        if (end > j)
                        {
                            var name = pattern[(j + 1)..end];
                            groups.Add(name);
                            sb.Append("(?<").Append(name).Append('>');
                            i = end;
                            continue;
                        }
                    }
                }
                else
                {
                    groups.Add(null);
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>match(re; flags): jq's match objects.</summary>
    public static List<JsonObject> Match(Ctx ctx, JsonNode? input, JsonNode? re, JsonNode? flags, bool forceGlobal = false)
    {
        if (!Values.TryString(input, out var s)) throw JqError.Of($"{Values.Describe(input)} cannot be matched, as it is not a string");
        if (!Values.TryString(re, out var pattern)) throw JqError.Of($"{Values.Describe(re)} cannot be matched, as it is not a string");
        var (options, global, skipEmpty) = Flags(flags);
        global |= forceGlobal;
        var compiled = Get(ctx, pattern, options);
        var results = new List<JsonObject>();
        try
        {
            var m = compiled.Regex.Match(s);
            var first = true;
            while (m.Success)
            {
                ctx.Step();
                // jq 1.6 stops searching once a match ends at the end of the text.
                if (!first && m.Index == s.Length && m.Length == 0) break;
                first = false;
                if (!(skipEmpty && m.Length == 0)) results.Add(MatchObject(s, m, compiled));
                if (!global) break;
                m = m.NextMatch();
            }
        }
        catch (RegexMatchTimeoutException)
        {
            throw new JqLimitError($"a regular expression took longer than {ctx.Limits.RegexTimeout.TotalMilliseconds} ms");
        }
        return results;
    }

    private static JsonObject MatchObject(string s, System.Text.RegularExpressions.Match m, Compiled compiled)
    {
        var captures = new JsonArray();
        foreach (var (name, number) in compiled.Groups)
        {
            var g = m.Groups[number];
            captures.Add(g.Success
                ? new JsonObject
                {
                    ["offset"] = Values.CodepointIndex(s, g.Index),
                    ["length"] = Values.CodepointLength(g.Value),
                    ["string"] = g.Value,
                    ["name"] = name,
                }
                : new JsonObject { ["offset"] = -1, ["length"] = 0, ["string"] = null, ["name"] = name });
        }
        return new JsonObject
        {
            ["offset"] = Values.CodepointIndex(s, m.Index),
            ["length"] = Values.CodepointLength(m.Value),
            ["string"] = m.Value,
            ["captures"] = captures,
        };
    }

    /// <summary>The named captures of a match as an object (jq's _capture_object).</summary>
    public static JsonObject CaptureObject(JsonObject match)
    {
        var result = new JsonObject();
        foreach (var c in (JsonArray)match["captures"]!)
        {
            var o = (JsonObject)c!;
            if (o["name"] is { } name) result[Values.String(name)] = o["string"]?.DeepClone();
        }
        return result;
    }
}
