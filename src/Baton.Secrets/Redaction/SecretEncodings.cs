using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Baton.Secrets.Redaction;

/// <summary>The forms of one value that the redactor registers.</summary>
/// <remarks>
/// First the parts of the value that may appear on their own: the value itself; each line of a multi-line value
/// (split on CR/LF, trimmed, empty lines dropped: child processes and loggers write line by line); the value with
/// its line endings converted; and, when the value is a JSON object, the text of each string, number and boolean
/// leaf (and each line of those). Then each part in every encoding it is commonly written in: raw, base64 and
/// base64url at every byte offset (<see cref="Base64Forms"/>), percent-encoded (<see cref="PercentForms"/>),
/// JSON-escaped (<see cref="JsonForms"/>), hex of the UTF-8 bytes in both cases, HTML/XML-escaped
/// (<see cref="MarkupForms"/>), the quote escapes of command lines and expressions that GitHub's runner masks, and
/// the IDNA punycode of a non-ASCII part (a host name). Parts and forms shorter than the minimum length are left
/// out, and forms that differ only in letter case are one (the matcher ignores case).
/// </remarks>
public static class SecretEncodings
{
    public static IEnumerable<string> Of(string value, int minimumLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        var minimum = Math.Max(1, minimumLength);
        // The matcher ignores case, so forms that differ only in case (hex digits, escapes) are one.
        var forms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in PartsOf(value, minimum))
        {
            AddFormsOf(part, forms);
        }
        forms.RemoveWhere(form => form.Length < minimum);
        return forms;
    }

    private static HashSet<string> PartsOf(string value, int minimum)
    {
        var parts = new HashSet<string>(StringComparer.Ordinal);
        AddTextParts(value, parts);
        if (LooksLikeJsonObject(value))
        {
            foreach (var leaf in JsonLeavesOf(value))
            {
                AddTextParts(leaf, parts);
            }
        }
        parts.RemoveWhere(part => part.Length < minimum);
        return parts;
    }

    private static void AddTextParts(string value, HashSet<string> parts)
    {
        parts.Add(value);
        if (value.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            parts.Add(value.Trim());
            return;
        }
        foreach (var line in value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            parts.Add(line);
        }
        var lf = value.Replace("\r\n", "\n", StringComparison.Ordinal);
        parts.Add(lf);
        parts.Add(lf.Replace("\n", "\r\n", StringComparison.Ordinal));
        parts.Add(value.Trim());
    }

    private static bool LooksLikeJsonObject(string value)
    {
        var trimmed = value.AsSpan().Trim();
        return trimmed.Length >= 2 && trimmed[0] == '{' && trimmed[^1] == '}';
    }

    private static List<string> JsonLeavesOf(string value)
    {
        var leaves = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind == JsonValueKind.Object) CollectLeaves(document.RootElement, leaves);
        }
        catch (JsonException)
        {
            // Not JSON after all: the value is registered as text, which is all there is to it.
        }
        return leaves;
    }

    private static void CollectLeaves(JsonElement element, List<string> leaves)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject()) CollectLeaves(property.Value, leaves);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) CollectLeaves(item, leaves);
                break;
            case JsonValueKind.String:
                leaves.Add(element.GetString()!);
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                leaves.Add(element.GetRawText());
                break;
            default:
                break;
        }
    }

    private static void AddFormsOf(string part, HashSet<string> forms)
    {
        forms.Add(part);
        AddPunycode(part, forms);
        var utf8 = Encoding.UTF8.GetBytes(part);
        Base64Forms.AddTo(forms, utf8);
        PercentForms.AddTo(forms, part);
        JsonForms.AddTo(forms, part);
        MarkupForms.AddTo(forms, part);
        forms.Add(Convert.ToHexStringLower(utf8));
        forms.Add(Convert.ToHexString(utf8));
        // GitHub's CommandLineArgumentEscape and ExpressionStringEscape, and the POSIX shell single-quote escape.
        forms.Add(part.Replace("\"", "\\\"", StringComparison.Ordinal));
        forms.Add(part.Replace("'", "''", StringComparison.Ordinal));
        forms.Add(part.Replace("'", "'\\''", StringComparison.Ordinal));
    }

    /// <summary>A value with non-ASCII letters used as (part of) a host name travels as IDNA punycode
    /// (<c>xn--…</c>, what <see cref="Uri.IdnHost"/> and DNS carry).</summary>
    private static void AddPunycode(string part, HashSet<string> forms)
    {
        if (System.Text.Ascii.IsValid(part)) return;
        try
        {
            forms.Add(new IdnMapping().GetAscii(part));
        }
        catch (ArgumentException)
        {
            // Not a valid host name (spaces, symbols): it cannot have been used as one.
        }
    }
}
