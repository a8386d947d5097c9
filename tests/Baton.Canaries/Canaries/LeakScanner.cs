using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Baton.Canaries.Canaries;

/// <summary>Where a canary was found, and which form of it. Never holds the value itself.</summary>
public sealed record Hit(string Where, Pattern Pattern)
{
    public override string ToString() => $"{Where}: {Pattern.Label}";
}

/// <summary>
/// Looks for every pattern in bytes, text and JSON, and says where each hit is (offset, line, JSON path) with
/// context in which every known canary form is masked, so a report can be printed without the secrets.
/// </summary>
public sealed partial class LeakScanner(IReadOnlyList<Pattern> patterns)
{
    public IReadOnlyList<Pattern> Patterns => patterns;

    /// <summary>Every hit in a file's bytes: "path @offset (near keys ...)", at most three per form and a count of the rest.</summary>
    public IEnumerable<Hit> ScanBytes(string where, ReadOnlySpan<byte> bytes)
    {
        var hits = new List<Hit>();
        foreach (var group in Find(bytes).GroupBy(f => f.Pattern))
        {
            foreach (var (offset, pattern) in group.Take(3)) hits.Add(new Hit($"{where} @{offset} (near {NearbyKeys(bytes, offset)})", pattern));
            if (group.Count() > 3) hits.Add(new Hit($"{where}: {group.Count() - 3} more occurrence(s)", group.Key));
        }
        return hits;
    }

    /// <summary>
    /// Every (offset, pattern) found, leaving out a hit that lies inside a longer hit of the same canary (the sliced
    /// form inside the value, say): it is the same leak, reported once by its longest form.
    /// </summary>
    public List<(int Offset, Pattern Pattern)> Find(ReadOnlySpan<byte> bytes)
    {
        var found = new List<(int Offset, Pattern Pattern)>();
        foreach (var pattern in patterns)
        {
            var start = 0;
            while (start <= bytes.Length - pattern.Bytes.Length)
            {
                var index = bytes[start..].IndexOf(pattern.Bytes);
                if (index < 0) break;
                var offset = start + index;
                var inside = found.Any(f => f.Pattern.Canary == pattern.Canary && f.Offset <= offset
                                            && offset + pattern.Bytes.Length <= f.Offset + f.Pattern.Bytes.Length);
                if (!inside) found.Add((offset, pattern));
                start = offset + 1;
            }
        }
        return found;
    }

    /// <summary>Every hit in a text, by line: "where line N: masked snippet".</summary>
    public IEnumerable<Hit> ScanText(string where, string text)
    {
        var lines = text.Split('\n');
        var hits = new List<Hit>();
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (var pattern in Matching(lines[i])) hits.Add(new Hit($"{where} line {i + 1}: {Snippet(lines[i])}", pattern));
        }
        // A multi-line form (the PEM block) spans lines: look in the whole text too.
        var all = Encoding.UTF8.GetBytes(text);
        foreach (var pattern in patterns.Where(p => p.Bytes.Contains((byte)'\n')))
        {
            if (all.AsSpan().IndexOf(pattern.Bytes) is var at and >= 0)
            {
                hits.Add(new Hit($"{where} line {text[..Encoding.UTF8.GetCharCount(all, 0, at)].Count(c => c == '\n') + 1} (spanning lines)", pattern));
            }
        }
        return hits;
    }

    /// <summary>
    /// Every hit in an API answer: by JSON path for each string (and property name) that holds a form, and by
    /// offset for a form seen in the raw text but in no single decoded string.
    /// </summary>
    public IEnumerable<Hit> ScanAnswer(string route, string text)
    {
        var hits = new List<Hit>();
        JsonNode? root = null;
        try
        {
            root = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // Not JSON: the raw scan below covers it.
        }
        if (root is not null) Walk(route, root, "$", hits);
        // A form seen only in the raw text (an escaping the decoded strings do not show) is reported by offset,
        // unless the same form of the same canary was already located by path.
        var located = hits.Select(h => (h.Pattern.Canary, h.Pattern.Form)).ToHashSet();
        foreach (var hit in ScanBytes(route + " raw body", Encoding.UTF8.GetBytes(text)))
        {
            if (!located.Contains((hit.Pattern.Canary, hit.Pattern.Form))) hits.Add(hit);
        }
        return hits;
    }

    private void Walk(string route, JsonNode node, string path, List<Hit> hits)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    var childPath = $"{path}.{key}";
                    foreach (var pattern in Matching(key)) hits.Add(new Hit($"{route} {path} (a property name)", pattern));
                    if (child is not null) Walk(route, child, childPath, hits);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item) Walk(route, item, $"{path}[{i}]", hits);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                foreach (var pattern in Matching(value.GetValue<string>())) hits.Add(new Hit($"{route} {path}", pattern));
                break;
        }
    }

    private IEnumerable<Pattern> Matching(string text) => Find(Encoding.UTF8.GetBytes(text)).Select(f => f.Pattern).Distinct();

    /// <summary>A line with every known form replaced by «shape/form», cut to a readable length.</summary>
    public string Snippet(string line)
    {
        var masked = Mask(line);
        return masked.Length <= 240 ? masked : masked[..240] + "…";
    }

    public string Mask(string text)
    {
        foreach (var pattern in patterns)
        {
            var form = pattern.Text;
            if (form.Length > 0 && text.Contains(form, StringComparison.Ordinal)) text = text.Replace(form, $"«{pattern.Canary.Shape}/{pattern.Form}»", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>The last few JSON property names before an offset: where in a stored document the hit sits.</summary>
    private string NearbyKeys(ReadOnlySpan<byte> bytes, int offset)
    {
        var from = Math.Max(0, offset - 400);
        var before = Encoding.UTF8.GetString(bytes[from..offset]);
        var keys = JsonKey().Matches(before)
            .Select(m => m.Groups[1].Value)
            .Where(k => !patterns.Any(p => p.Canary.Value.Contains(k, StringComparison.Ordinal)))
            .TakeLast(4)
            .ToList();
        return keys.Count == 0 ? "no JSON key" : "keys " + string.Join(" > ", keys);
    }

    [GeneratedRegex("\"([A-Za-z_][A-Za-z0-9_.\\-]{0,40})\"\\s*:")]
    private static partial Regex JsonKey();
}
