using System.Net;

namespace Baton.Secrets.Redaction;

/// <summary>The percent-encoded forms of a value: as <see cref="Uri.EscapeDataString(string)"/> writes it (RFC 3986,
/// space as <c>%20</c>), as <see cref="WebUtility.UrlEncode"/> and HTML forms write it (space as <c>+</c>), and
/// each with lower-case hex digits (HttpUtility, many non-.NET clients).</summary>
internal static class PercentForms
{
    public static void AddTo(ICollection<string> forms, string value)
    {
        var rfc3986 = Uri.EscapeDataString(value);
        AddWithHexCases(forms, rfc3986);
        AddWithHexCases(forms, rfc3986.Replace("%20", "+", StringComparison.Ordinal));

        var form = WebUtility.UrlEncode(value);
        AddWithHexCases(forms, form);
        AddWithHexCases(forms, form.Replace("+", "%20", StringComparison.Ordinal));

        // A value written into a URL's path or query as it is: System.Uri (and most clients) escape only what a URI
        // cannot hold, and leave reserved characters such as & + / = literal.
        AddWithHexCases(forms, UriEscaped(value));
    }

    /// <summary>Percent-encodes the UTF-8 bytes of every character a URI cannot carry literally; the rest stays.</summary>
    internal static string UriEscaped(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@/?[]#".Contains(c, StringComparison.Ordinal))
            {
                builder.Append(c);
                continue;
            }
            var length = char.IsHighSurrogate(c) && i + 1 < value.Length
                ? System.Text.Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), bytes)
                : System.Text.Encoding.UTF8.GetBytes(value.AsSpan(i, 1), bytes);
            for (var b = 0; b < length; b++) builder.Append('%').Append(bytes[b].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static void AddWithHexCases(ICollection<string> forms, string encoded)
    {
        forms.Add(encoded);
        forms.Add(WithHexCase(encoded, upper: false));
        forms.Add(WithHexCase(encoded, upper: true));
    }

    private static string WithHexCase(string encoded, bool upper)
    {
        if (!encoded.Contains('%', StringComparison.Ordinal)) return encoded;
        var chars = encoded.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] != '%' || !char.IsAsciiHexDigit(chars[i + 1]) || !char.IsAsciiHexDigit(chars[i + 2])) continue;
            chars[i + 1] = upper ? char.ToUpperInvariant(chars[i + 1]) : char.ToLowerInvariant(chars[i + 1]);
            chars[i + 2] = upper ? char.ToUpperInvariant(chars[i + 2]) : char.ToLowerInvariant(chars[i + 2]);
            i += 2;
        }
        return new string(chars);
    }
}
