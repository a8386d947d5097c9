using System.Net;
using System.Security;
using System.Text.Encodings.Web;

namespace Baton.Secrets.Redaction;

/// <summary>The forms a value takes in HTML or XML text: <see cref="WebUtility.HtmlEncode(string)"/>
/// (<c>&amp;amp; &amp;lt; &amp;gt; &amp;quot; &amp;#39;</c>, and <c>&amp;#NNN;</c> for U+00A0–U+00FF),
/// <see cref="SecurityElement.Escape"/> (<c>&amp;apos;</c>), and <see cref="HtmlEncoder.Default"/> as Razor writes it
/// (<c>&amp;#x27;</c>, <c>&amp;#x2B;</c>, non-ASCII as <c>&amp;#xHH;</c>).</summary>
internal static class MarkupForms
{
    public static void AddTo(ICollection<string> forms, string value)
    {
        forms.Add(WebUtility.HtmlEncode(value));
        forms.Add(SecurityElement.Escape(value) ?? value);
        forms.Add(HtmlEncoder.Default.Encode(value));
    }
}
