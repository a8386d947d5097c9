using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Baton.Secrets.Redaction;

/// <summary>The forms a value takes inside a JSON string literal (without the quotes).</summary>
/// <remarks>
/// System.Text.Json by default escapes HTML-sensitive characters and all non-ASCII as <c>\uXXXX</c> (upper-case hex);
/// with <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> it keeps them and writes <c>\"</c>. Other writers
/// escape only quote, backslash and control characters (Newtonsoft, JavaScript), escape non-ASCII with lower-case hex
/// (Python) or escape <c>/</c> as well (PHP). A JSON document stored as a string inside another one is escaped twice.
/// </remarks>
internal static class JsonForms
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void AddTo(ICollection<string> forms, string value)
    {
        forms.Add(Unquote(JsonSerializer.Serialize(value)));
        var relaxed = Unquote(JsonSerializer.Serialize(value, Relaxed));
        forms.Add(relaxed);
        forms.Add(Unquote(JsonSerializer.Serialize(relaxed, Relaxed)));
        forms.Add(Escape(value, NonAscii.Raw, escapeSlash: false));
        forms.Add(Escape(value, NonAscii.UpperHex, escapeSlash: false));
        forms.Add(Escape(value, NonAscii.LowerHex, escapeSlash: false));
        forms.Add(Escape(value, NonAscii.LowerHex, escapeSlash: true));
        forms.Add(Escape(value, NonAscii.Raw, escapeSlash: true));
    }

    private enum NonAscii { Raw, UpperHex, LowerHex }

    private static string Unquote(string literal) => literal[1..^1];

    private static string Escape(string value, NonAscii nonAscii, bool escapeSlash)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '/' when escapeSlash: builder.Append("\\/"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case < ' ':
                    builder.Append("\\u").Append(((int)c).ToString(nonAscii == NonAscii.LowerHex ? "x4" : "X4", CultureInfo.InvariantCulture));
                    break;
                case > '~' when nonAscii != NonAscii.Raw:
                    builder.Append("\\u").Append(((int)c).ToString(nonAscii == NonAscii.LowerHex ? "x4" : "X4", CultureInfo.InvariantCulture));
                    break;
                default: builder.Append(c); break;
            }
        }
        return builder.ToString();
    }
}
