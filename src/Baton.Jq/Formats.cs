using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>jq's @formats: @text @json @html @uri @csv @tsv @sh @base64 @base64d @base32 @base32d.</summary>
internal static class Formats
{
    private static readonly HashSet<string> Known = ["text", "json", "html", "uri", "csv", "tsv", "sh", "base64", "base64d", "base32", "base32d"];

    public static bool IsKnown(string name) => Known.Contains(name);

    public static string Apply(Ctx ctx, string name, JsonNode? v)
    {
        if (v is JsonArray or JsonObject) _ = Values.ToJson(v, ctx.Limits.MaxValueDepth);
        var result = name switch
        {
            "text" => Values.ToText(v),
            "json" => Values.ToJson(v, ctx.Limits.MaxValueDepth),
            "html" => Html(Values.ToText(v)),
            "uri" => Uri(Values.ToText(v)),
            "csv" => Csv(v),
            "tsv" => Tsv(v),
            "sh" => Sh(v),
            "base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes(Values.ToText(v))),
            "base64d" => Base64Decode(v),
            "base32" => Base32(Encoding.UTF8.GetBytes(Values.ToText(v))),
            "base32d" => Base32Decode(v),
            _ => throw JqError.Of($"{name} is not a valid format"),
        };
        ctx.CheckString(result.Length);
        return result;
    }

    private static string Html(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '\'' => "&apos;",
                '"' => "&quot;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    private static string Uri(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string Csv(JsonNode? v) =>
        Row(v, "csv", ',', s => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");

    private static string Tsv(JsonNode? v) =>
        Row(v, "tsv", '\t', s => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal));

    /// <summary>@csv and @tsv: an array's scalars joined, strings written by quote, null as nothing.</summary>
    private static string Row(JsonNode? v, string what, char separator, Func<string, string> quote)
    {
        var row = v as JsonArray ?? throw JqError.Of($"{Values.Describe(v)} cannot be {what}-formatted, only array");
        var sb = new StringBuilder();
        var first = true;
        foreach (var x in row)
        {
            if (!first) sb.Append(separator);
            first = false;
            switch (Values.Kind(x))
            {
                case JqKind.Null: break;
                case JqKind.True: sb.Append("true"); break;
                case JqKind.False: sb.Append("false"); break;
                case JqKind.Number: sb.Append(Values.FormatNumber(Values.Number(x))); break;
                case JqKind.String: sb.Append(quote(Values.String(x))); break;
                default: throw JqError.Of($"{Values.Describe(x)} is not valid in a csv row");
            }
        }
        return sb.ToString();
    }

    private static string Sh(JsonNode? v)
    {
        if (v is JsonObject) throw JqError.Of($"{Values.Describe(v)} can not be escaped for shell");
        var items = v is JsonArray a ? a.ToList() : [v];
        var sb = new StringBuilder();
        var first = true;
        foreach (var x in items)
        {
            if (!first) sb.Append(' ');
            first = false;
            switch (Values.Kind(x))
            {
                case JqKind.String: sb.Append('\'').Append(Values.String(x).Replace("'", "'\\''", StringComparison.Ordinal)).Append('\''); break;
                case JqKind.Array or JqKind.Object: throw JqError.Of($"{Values.Describe(x)} can not be escaped for shell");
                default: sb.Append(Values.ToJson(x)); break;
            }
        }
        return sb.ToString();
    }

    private static string Base64Decode(JsonNode? v)
    {
        var s = Values.ToText(v);
        // jq decodes what it can: padding is optional, and a trailing partial group is dropped.
        var clean = s.TrimEnd('=');
        var bytes = new List<byte>(clean.Length * 3 / 4);
        int acc = 0, bits = 0;
        foreach (var c in clean)
        {
            var d = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a' + 26,
                >= '0' and <= '9' => c - '0' + 52,
                '+' => 62,
                '/' => 63,
                _ => -1,
            };
            if (d < 0) throw JqError.Of($"{Values.Describe(v)} is not valid base64 data");
            acc = (acc << 6) | d;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)((acc >> bits) & 0xFF));
            }
        }
        if (clean.Length % 4 == 1) throw JqError.Of($"{Values.Describe(v)} trailing base64 byte found");
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private static string Base32(byte[] data)
    {
        var sb = new StringBuilder((data.Length + 4) / 5 * 8);
        for (var i = 0; i < data.Length; i += 5)
        {
            var n = Math.Min(5, data.Length - i);
            ulong buffer = 0;
            for (var j = 0; j < 5; j++) buffer = (buffer << 8) | (j < n ? data[i + j] : (byte)0);
            var chars = (n * 8 + 4) / 5;
            for (var j = 0; j < 8; j++) sb.Append(j < chars ? Base32Alphabet[(int)((buffer >> (35 - j * 5)) & 31)] : '=');
        }
        return sb.ToString();
    }

    private static string Base32Decode(JsonNode? v)
    {
        var s = Values.ToText(v).TrimEnd('=');
        var bytes = new List<byte>();
        int acc = 0, bits = 0;
        foreach (var c in s)
        {
            var d = Base32Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (d < 0) throw JqError.Of($"{Values.Describe(v)} is not valid base32 data");
            acc = (acc << 5) | d;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)((acc >> bits) & 0xFF));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
