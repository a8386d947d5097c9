using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;

namespace Baton.Canaries.Canaries;

/// <summary>One byte sequence to look for: a form of a canary (the value, a piece, a derived text) in one encoding.</summary>
public sealed record Pattern(Canary Canary, string Form, string Encoding, byte[] Bytes)
{
    /// <summary>How a hit is named in a report: never the value, only the canary's shape and name, the form and the encoding.</summary>
    public string Label => $"{Canary.Shape} canary '{Canary.Name}', {Form}, {Encoding}";

    public string Text => System.Text.Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// Every way a canary could show up: each text (the value, each PEM line, each JSON leaf, and what the INLINE
/// scripts derive: sliced, upper-cased, reversed) in each encoding. The encodings come from the framework's own
/// encoders (Convert, Base64Url, Uri, WebUtility, HttpUtility, HtmlEncoder, JsonSerializer), independently of
/// anything the server does.
/// </summary>
public static partial class CanaryForms
{
    private static readonly JsonSerializerOptions DefaultJson = new();
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Shortest pattern searched: a shorter one could match by chance.</summary>
    public const int MinimumLength = 8;

    /// <summary>The texts of a canary that must not show up: (form, text).</summary>
    public static IEnumerable<(string Form, string Text)> Texts(Canary canary)
    {
        yield return ("value", canary.Value);
        foreach (var piece in canary.Pieces) yield return piece;
        // What the INLINE scripts derive from the scalar value (the JSON secret's password leaf).
        var scalar = canary.ScalarValue;
        var prefix = canary.Json is null ? "" : "password leaf ";
        yield return (prefix + "sliced (2, -2)", Sliced(scalar));
        yield return (prefix + "upper-cased", scalar.ToUpperInvariant());
        yield return (prefix + "reversed", Reversed(scalar));
    }

    public static string Sliced(string text) => text[2..^2];

    /// <summary>As JavaScript's <c>split('').reverse().join('')</c>: UTF-16 code units reversed.</summary>
    public static string Reversed(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>Each encoding of a text, by name (UTF-8 bytes of the encoded text, or the raw bytes for the byte encodings).</summary>
    public static IEnumerable<(string Encoding, byte[] Bytes)> Encodings(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        yield return ("raw UTF-8", utf8);
        yield return ("UTF-16LE", Encoding.Unicode.GetBytes(text));

        var base64 = Convert.ToBase64String(utf8);
        yield return ("base64", Ascii(base64));
        yield return ("base64 unpadded", Ascii(base64.TrimEnd('=')));
        var base64Url = Base64Url.EncodeToString(utf8);
        yield return ("base64url unpadded", Ascii(base64Url));
        yield return ("base64url padded", Ascii(base64Url + new string('=', (4 - (base64Url.Length % 4)) % 4)));

        yield return ("hex upper", Ascii(Convert.ToHexString(utf8)));
        yield return ("hex lower", Ascii(Convert.ToHexStringLower(utf8)));

        var escaped = Uri.EscapeDataString(text);
        yield return ("percent (Uri.EscapeDataString)", Ascii(escaped));
        yield return ("percent lower-case hex", Ascii(LowerHex(escaped)));
        yield return ("form-encoded (WebUtility.UrlEncode, + for space)", Ascii(WebUtility.UrlEncode(text)));
        yield return ("form-encoded (HttpUtility.UrlEncode, lower hex)", Ascii(HttpUtility.UrlEncode(text)));
        if (text.IndexOfAny(['?', '#', '\\', '%']) < 0 && !text.Contains('\n', StringComparison.Ordinal))
        {
            // What System.Uri (and so HttpClient) leaves on the wire for the text in a path and in a query.
            yield return ("URL path as System.Uri escapes it", Encoding.UTF8.GetBytes(new Uri("http://h/" + text).AbsolutePath[1..]));
            yield return ("URL query as System.Uri escapes it", Encoding.UTF8.GetBytes(new Uri("http://h/?" + text).Query[1..]));
        }

        yield return ("JSON-escaped (System.Text.Json default)", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text, DefaultJson)[1..^1]));
        yield return ("JSON-escaped (relaxed)", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text, RelaxedJson)[1..^1]));

        yield return ("HTML-escaped (WebUtility)", Encoding.UTF8.GetBytes(WebUtility.HtmlEncode(text)));
        yield return ("HTML-escaped (HtmlEncoder.Default)", Encoding.UTF8.GetBytes(HtmlEncoder.Default.Encode(text)));
    }

    /// <summary>Every distinct pattern of every canary. Encodings that give the same bytes are merged into one label.</summary>
    public static IReadOnlyList<Pattern> All(IEnumerable<Canary> canaries)
    {
        var patterns = new List<Pattern>();
        foreach (var canary in canaries)
        {
            var byBytes = new Dictionary<string, (string Form, List<string> Encodings, byte[] Bytes)>(StringComparer.Ordinal);
            foreach (var (form, text) in Texts(canary))
            {
                foreach (var (encoding, bytes) in Encodings(text))
                {
                    if (bytes.Length < MinimumLength) continue;
                    var key = Convert.ToBase64String(bytes);
                    if (byBytes.TryGetValue(key, out var existing)) existing.Encodings.Add(form == existing.Form ? encoding : $"{form} {encoding}");
                    else byBytes[key] = (form, [encoding], bytes);
                }
            }
            patterns.AddRange(byBytes.Values.Select(p => new Pattern(canary, p.Form, Describe(p.Encodings), p.Bytes)));
        }
        // Longest first, so masking a text replaces a whole value before any part of it.
        return [.. patterns.OrderByDescending(p => p.Bytes.Length)];
    }

    private static string Describe(List<string> encodings) => encodings.Count == 1
        ? encodings[0]
        : $"{encodings[0]} (the same bytes as {encodings.Count - 1} other encoding(s): {string.Join(", ", encodings.Skip(1).Select(e => e.Split(' ')[0]).Distinct())})";

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static string LowerHex(string escaped) =>
        PercentTriplet().Replace(escaped, m => m.Value.ToLower(CultureInfo.InvariantCulture));

    [GeneratedRegex("%[0-9A-F]{2}")]
    private static partial Regex PercentTriplet();
}
